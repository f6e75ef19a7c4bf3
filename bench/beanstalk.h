// beanstalkd for the durable-queue benchmark: a server process started on a free loopback port
// with its binlog in a temporary directory and an fsync after every write (`-f 0`), and a
// blocking client for the put / reserve / delete commands of its text protocol
// (https://github.com/beanstalkd/beanstalkd/blob/master/doc/protocol.txt).
//
// Thread-safety: one client per thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace bench {

class BeanstalkServer {
 public:
  // Starts /usr/bin/beanstalkd; exits the program with a message if it cannot.
  BeanstalkServer();
  // Stops the server (SIGTERM to its pid, then waits) and removes its binlog directory.
  ~BeanstalkServer();
  BeanstalkServer(const BeanstalkServer&) = delete;
  BeanstalkServer& operator=(const BeanstalkServer&) = delete;

  int port() const { return port_; }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_;
};

class BeanstalkClient {
 public:
  explicit BeanstalkClient(int port);
  ~BeanstalkClient();
  BeanstalkClient(const BeanstalkClient&) = delete;
  BeanstalkClient& operator=(const BeanstalkClient&) = delete;

  // put: returns once the server answered INSERTED (after its fsync).
  uint64_t put(std::string_view body);
  // `count` puts written back to back, then their `count` answers read (pipelining: the
  // nearest beanstalkd has to a batch enqueue).
  void put_pipelined(std::string_view body, int count);
  // reserve: blocks until a job is handed out; returns its id and body.
  uint64_t reserve(std::string* body);
  void remove(uint64_t id);  // the `delete` command

 private:
  void send(std::string_view data);
  std::string read_line();
  std::string read_exact(size_t n);

  int fd_ = -1;
  std::string buffer_;  // bytes read but not consumed
};

}  // namespace bench
