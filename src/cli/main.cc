// The `taskly` command.
#include "cli/run_cli.h"

int main(int argc, char** argv) { return taskly::cli::RunCli(argc, argv); }
