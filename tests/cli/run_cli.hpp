// run_cli.hpp: runs the built `bulwark` binary (BULWARK_CLI_PATH, from CMake) in a child
// process with a chosen environment, working folder and stdin, and collects its exit status,
// stdout and stderr. The environment is built from scratch, so a DATABASE_URL or SECRET_KEY of
// the developer's shell never leaks into a test.
#pragma once

#include <bulwark/crypto.hpp>
#include <bulwark/db.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
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

// run_cli runs `bulwark args...` in `cwd` with only `env` (plus PATH) and `input` on stdin.
inline Run run_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                   const std::filesystem::path& cwd, const std::string& input = {}) {
    const auto io = cwd / ("io-" + bulwark::crypto::random_token(6));
    std::filesystem::create_directories(io);
    {
        std::ofstream in(io / "stdin", std::ios::binary);
        in << input;
    }
    // Everything the child needs is made before fork: the test process has threads, so the
    // child may only make async-signal-safe calls until execve.
    std::vector<std::string> argv_text{BULWARK_CLI_PATH};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<std::string> env_text{"PATH=/usr/bin:/bin"};
    for (const auto& [k, v] : env) env_text.push_back(k + "=" + v);
    std::vector<char*> argv, envp;
    for (auto& a : argv_text) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_text) envp.push_back(e.data());
    envp.push_back(nullptr);
    const std::string in_path = (io / "stdin").string(), out_path = (io / "stdout").string(),
                      err_path = (io / "stderr").string(), dir = cwd.string();

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
    Run run;
    int wstatus = 0;
    if (pid > 0 && ::waitpid(pid, &wstatus, 0) == pid && WIFEXITED(wstatus)) run.status = WEXITSTATUS(wstatus);
    run.out = read_file(out_path);
    run.err = read_file(err_path);
    std::error_code ec;
    std::filesystem::remove_all(io, ec);
    return run;
}

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
