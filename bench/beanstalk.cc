#include "beanstalk.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

namespace bench {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "beanstalk: %s\n", what.c_str());
  std::exit(1);
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) Die("bind failed");
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

BeanstalkServer::BeanstalkServer() {
  char dir[] = "/tmp/taskly-beanstalkd-XXXXXX";
  if (mkdtemp(dir) == nullptr) Die("mkdtemp failed");
  dir_ = dir;
  port_ = FreePort();
  std::string port = std::to_string(port_);
  pid_ = fork();
  if (pid_ < 0) Die("fork failed");
  if (pid_ == 0) {
    execl("/usr/bin/beanstalkd", "beanstalkd", "-l", "127.0.0.1", "-p", port.c_str(), "-b", dir,
          "-f", "0", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 500; ++i) {  // up to 5 s for it to listen
    if (int fd = Connect(port_); fd >= 0) {
      close(fd);
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  Die("beanstalkd did not start (is the Debian package beanstalkd installed?)");
}

BeanstalkServer::~BeanstalkServer() {
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

BeanstalkClient::BeanstalkClient(int port) : fd_(Connect(port)) {
  if (fd_ < 0) Die("cannot connect to beanstalkd");
}

BeanstalkClient::~BeanstalkClient() { close(fd_); }

void BeanstalkClient::send(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd_, data.data(), data.size());
    if (n <= 0) Die("write to beanstalkd failed");
    data.remove_prefix(static_cast<size_t>(n));
  }
}

std::string BeanstalkClient::read_line() {
  while (true) {
    if (size_t end = buffer_.find("\r\n"); end != std::string::npos) {
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      return line;
    }
    char chunk[65536];
    ssize_t n = read(fd_, chunk, sizeof chunk);
    if (n <= 0) Die("read from beanstalkd failed");
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

std::string BeanstalkClient::read_exact(size_t n) {
  while (buffer_.size() < n) {
    char chunk[65536];
    ssize_t got = read(fd_, chunk, sizeof chunk);
    if (got <= 0) Die("read from beanstalkd failed");
    buffer_.append(chunk, static_cast<size_t>(got));
  }
  std::string out = buffer_.substr(0, n);
  buffer_.erase(0, n);
  return out;
}

uint64_t BeanstalkClient::put(std::string_view body) {
  send("put 0 0 60 " + std::to_string(body.size()) + "\r\n" + std::string(body) + "\r\n");
  std::string line = read_line();
  if (line.rfind("INSERTED ", 0) != 0) Die("put: " + line);
  return std::stoull(line.substr(9));
}

void BeanstalkClient::put_pipelined(std::string_view body, int count) {
  std::string one =
      "put 0 0 60 " + std::to_string(body.size()) + "\r\n" + std::string(body) + "\r\n";
  std::string all;
  all.reserve(one.size() * static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) all += one;
  send(all);
  for (int i = 0; i < count; ++i) {
    std::string line = read_line();
    if (line.rfind("INSERTED ", 0) != 0) Die("put: " + line);
  }
}

uint64_t BeanstalkClient::reserve(std::string* body) {
  send("reserve\r\n");
  std::string line = read_line();  // RESERVED <id> <bytes>
  if (line.rfind("RESERVED ", 0) != 0) Die("reserve: " + line);
  size_t space = line.find(' ', 9);
  uint64_t id = std::stoull(line.substr(9, space - 9));
  size_t bytes = std::stoull(line.substr(space + 1));
  *body = read_exact(bytes + 2);
  body->resize(bytes);
  return id;
}

void BeanstalkClient::remove(uint64_t id) {
  send("delete " + std::to_string(id) + "\r\n");
  std::string line = read_line();
  if (line != "DELETED") Die("delete: " + line);
}

}  // namespace bench
