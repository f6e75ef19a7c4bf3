// The config file (--config FILE, TOML or INI) with the precedence users expect:
// command-line flags > environment variables (TASKLY_...) > the config file > defaults.
//
// CLI11 reads the config file before the environment and lets the file win; this formatter
// restores the order by dropping, as the file is read, every entry whose option has its
// environment variable set. Global options are top-level keys ("server", "token", "data-dir");
// the server's options go in a [server] section ("listen", "slots", "allow-exec"...), the
// worker's in a [worker] section.
// Unknown keys are errors (the app is set to config_extras_mode::error).
//
// Thread-safety: used by one parse at a time.
#pragma once

#include <CLI/CLI.hpp>
#include <istream>
#include <vector>

namespace taskly::cli {

class EnvFirstConfig : public CLI::ConfigTOML {
 public:
  // `app` is the root app; it must outlive the formatter's use.
  explicit EnvFirstConfig(const CLI::App* app) : app_(app) {}

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override;

 private:
  const CLI::App* app_;
};

}  // namespace taskly::cli
