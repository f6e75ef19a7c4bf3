// How `taskly server` and `taskly worker` take SIGTERM and SIGINT: the signals are blocked in
// every thread (the mask is set before any thread starts, and threads inherit it) and taken with
// sigwait on the main thread, which then runs the graceful shutdown. A second signal during the
// shutdown, 0.5 s or more after the first, exits at once (exit code 1); one sooner is taken for
// the same request delivered twice (a SIGTERM to the process group reaches both `make run` and
// the server, and make forwards it to the server again), not for impatience.
//
// Thread-safety: BlockShutdownSignals() before any thread starts; the rest from the main thread.
#pragma once

#include <signal.h>

#include <thread>

namespace taskly::cli {

// Blocks SIGTERM and SIGINT in the calling thread (and so in every thread it starts later), and
// ignores SIGPIPE (a peer that hangs up must not kill the process). Returns the set to wait on.
sigset_t BlockShutdownSignals();

// Waits for one of `signals`; returns its number.
int WaitForShutdownSignal(const sigset_t& signals);

// While the returned thread runs (until it is destroyed), a further signal of `signals` arriving
// 0.5 s or more after the first exits the process at once with exit code 1. Call right after
// WaitForShutdownSignal() returned, and keep the thread for the length of the shutdown.
std::jthread ExitOnSecondSignal(const sigset_t& signals);

}  // namespace taskly::cli
