// run_cli.hpp: runs the built `bulwark` binary (BULWARK_CLI_PATH, from CMake) in a child
// process with a chosen environment, working folder and stdin, and collects its exit status,
// stdout and stderr; or runs `bulwark serve` in the background (ServeProcess). The environment
// is built from scratch, so a DATABASE_URL or SECRET_KEY of the developer's shell never leaks
// into a test.
#pragma once

#include <bulwark/crypto.hpp>
#include <bulwark/db.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace cli_test {

struct Run {
    int status = -1;  // the exit status; -1 when the child did not exit normally
    std::string out;
    std::string err;
};

inline std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// spawn_cli starts `bulwark args...` in `cwd` with only `env` (plus PATH), stdin read from
// `in_path` and stdout / stderr written to `out_path` / `err_path` ("/dev/null" for none).
// Returns the child's pid, or -1. Everything the child needs is made before fork: the test
// process has threads, so the child may only make async-signal-safe calls until execve.
inline pid_t spawn_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                       const std::filesystem::path& cwd, const std::string& in_path, const std::string& out_path,
                       const std::string& err_path) {
    std::vector<std::string> argv_text{BULWARK_CLI_PATH};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<std::string> env_text{"PATH=/usr/bin:/bin"};
    for (const auto& [k, v] : env) env_text.push_back(k + "=" + v);
    std::vector<char*> argv, envp;
    for (auto& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
    const std::string dir = cwd.string();

    const pid_t pid = ::fork();
    if (pid == 0) {
        const int in = ::open(in_path.c_str(), O_RDONLY);
        const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0 || ::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0 ||
            ::chdir(dir.c_str()) != 0)
            ::_exit(127);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    return pid;
}

// run_cli runs `bulwark args...` in `cwd` with only `env` (plus PATH) and `input` on stdin.
inline Run run_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                   const std::filesystem::path& cwd, const std::string& input = {}) {
    const auto io = cwd / ("io-" + bulwark::crypto::random_token(6));
    std::filesystem::create_directories(io);
    {
        std::ofstream in(io / "stdin", std::ios::binary);
        in << input;
    }
    const std::string out_path = (io / "stdout").string(), err_path = (io / "stderr").string();
    const pid_t pid = spawn_cli(args, env, cwd, (io / "stdin").string(), out_path, err_path);
    Run run;
    int wstatus = 0;
    if (pid > 0 && ::waitpid(pid, &wstatus, 0) == pid && WIFEXITED(wstatus)) run.status = WEXITSTATUS(wstatus);
    run.out = read_file(out_path);
    run.err = read_file(err_path);
    std::error_code ec;
    std::filesystem::remove_all(io, ec);
    return run;
}

// ServeProcess runs `bulwark serve` (BULWARK_PORT=0 in `env`: a port of its own choosing) in
// `dir`, stdout and stderr into dir/<tag>.out and dir/<tag>.err, and learns the port from the
// line it prints once it listens. The destructor stops it (SIGTERM, then SIGKILL), so a failing
// assertion never leaves one running.
class ServeProcess {
public:
    ServeProcess(const std::map<std::string, std::string>& env, const std::filesystem::path& dir,
                 const std::string& tag = "serve")
        : err_path_(dir / (tag + ".err")) {
        pid_ = spawn_cli({"serve"}, env, dir, "/dev/null", (dir / (tag + ".out")).string(), err_path_.string());
    }
    ~ServeProcess() { stop(); }
    ServeProcess(const ServeProcess&) = delete;
    ServeProcess& operator=(const ServeProcess&) = delete;

    // wait_listening waits for "serving the reference app on http(s)://127.0.0.1:<port>"; false
    // when the process died or the time ran out (stderr_text() says why).
    bool wait_listening(std::chrono::seconds timeout) {
        static const std::regex re(R"(serving the reference app on https?://127\.0\.0\.1:([0-9]+))");
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (pid_ > 0 && std::chrono::steady_clock::now() < deadline) {
            std::smatch m;
            const auto text = stderr_text();
            if (std::regex_search(text, m, re)) {
                port_ = static_cast<std::uint16_t>(std::stoul(m[1].str()));
                return true;
            }
            if (!alive()) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }

    // stop: SIGTERM, up to 10 s for a clean exit, then SIGKILL.
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < deadline) {
            if (!alive()) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

    // port: the port it listens on, once wait_listening returned true; 0 before.
    std::uint16_t port() const { return port_; }
    std::string stderr_text() const { return read_file(err_path_); }
    // alive: the process has not exited (it did not crash).
    bool alive() {
        int status = 0;
        if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) pid_ = -1;
        return pid_ > 0;
    }

private:
    std::filesystem::path err_path_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
};

// Instance: a fresh temporary folder, removed at the end, that is both the child's working
// folder and (unless the test says otherwise) its BULWARK_INSTANCE_DIR.
struct Instance {
    std::filesystem::path dir;
    std::map<std::string, std::string> env;

    Instance() {
        dir = std::filesystem::temp_directory_path() / ("bulwark-cli-" + bulwark::crypto::random_token(8));
        std::filesystem::create_directories(dir);
        env["BULWARK_INSTANCE_DIR"] = (dir / "instance").string();
    }
    ~Instance() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    Run run(const std::vector<std::string>& args, const std::string& input = {}) const {
        return run_cli(args, env, dir, input);
    }
    // config: the settings the CLI child loads, for an in-process reference app.
    std::map<std::string, std::string> vars() const { return env; }
};

}  // namespace cli_test
