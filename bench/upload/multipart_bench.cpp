// Multipart throughput on a large in-memory body, fed in 64 KiB pieces as a socket would:
//   BM_Decode         the decoder alone (events consumed, data dropped)
//   BM_DecodeContent/k/b the decoder alone through feed_borrowed in 256 KiB pieces (the server's
//                     path) over 64 MiB of k: 0 text with LF lines (upload_1g.py's file), 1 zeros,
//                     2 CR only (a CR at every byte: the delimiter search's worst case); with the
//                     boundary b: 0 WebKit's, 1 curl's, 2 upload_1g.py's (letters of the text)
//   BM_ReceiveToDisk  UploadSink: decoder + temporary file write + fsync (the real path)
//   BM_WriteBaseline  the same bytes written to a file with write(2) + fsync, no parsing
//                     (the ratio ReceiveToDisk / WriteBaseline is the cost of parsing)
//   BM_MemcpyBaseline memcpy of the body: the machine's memory bandwidth
// `bench_upload --limit-server ...` runs the machine-limit upload server instead (limit_server.cpp,
// used by upload_1g.py --limit).
#include <bulwark/upload.hpp>

#include <benchmark/benchmark.h>

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

namespace {

using namespace bulwark::upload;
namespace fs = std::filesystem;

constexpr std::size_t kFileBytes = 256 * 1024 * 1024;
constexpr std::size_t kChunk = 64 * 1024;
const std::string kBoundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";

const std::string& body() {
    static const std::string b = [] {
        std::string content(kFileBytes, '\0');
        // Pseudo-random-looking bytes with many CRs and dashes, so the search is exercised.
        std::uint32_t x = 2463534242u;
        for (char& c : content) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            c = (x & 0x3F) == 0 ? '\r' : (x & 0x3F) == 1 ? '-' : static_cast<char>(x >> 24);
        }
        return "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc\r\n--" + kBoundary +
               "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n"
               "Content-Type: application/octet-stream\r\n\r\n" +
               content + "\r\n--" + kBoundary + "--\r\n";
    }();
    return b;
}

fs::path bench_dir() {
    static const fs::path dir = [] {
        std::string tmpl = (fs::temp_directory_path() / "bulwark-bench-XXXXXX").string();
        return fs::path(::mkdtemp(tmpl.data()));
    }();
    return dir;
}

void BM_Decode(benchmark::State& state) {
    const std::string& b = body();
    for (auto _ : state) {
        MultipartDecoder d(kBoundary, {.max_body = b.size()});
        std::size_t data = 0;
        for (std::size_t i = 0; i < b.size(); i += kChunk) {
            if (!d.feed(std::string_view(b).substr(i, kChunk))) state.SkipWithError("feed");
            for (Event e = d.next(); e.kind != Event::Kind::need_more && e.kind != Event::Kind::done; e = d.next())
                data += e.data.size();
        }
        benchmark::DoNotOptimize(data);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * b.size()));
}
BENCHMARK(BM_Decode)->Unit(benchmark::kMillisecond)->UseRealTime();

const std::string kBoundaries[] = {kBoundary, "------------------------d74496d66958873e",
                                   "bulwark-bench-0123456789abcdef"};

std::string body_with(std::int64_t kind, const std::string& boundary) {
    constexpr std::size_t kBytes = 64 * 1024 * 1024;
    std::string content;
    if (kind == 0) {
        const std::string line = "All work and no play makes a dull upload benchmark.\n";
        while (content.size() < kBytes) content += line;
        content.resize(kBytes);
    } else {
        content.assign(kBytes, kind == 1 ? '\0' : '\r');
    }
    return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.txt\"\r\n\r\n" + content +
           "\r\n--" + boundary + "--\r\n";
}

void BM_DecodeContent(benchmark::State& state) {
    const std::string& boundary = kBoundaries[state.range(1)];
    const std::string b = body_with(state.range(0), boundary);
    constexpr std::size_t kPiece = 256 * 1024;
    for (auto _ : state) {
        MultipartDecoder d(boundary, {.max_body = b.size()});
        std::size_t data = 0;
        for (std::size_t i = 0; i < b.size(); i += kPiece) {
            if (!d.feed_borrowed(std::string_view(b).substr(i, kPiece))) state.SkipWithError("feed");
            for (Event e = d.next(); e.kind != Event::Kind::need_more && e.kind != Event::Kind::done; e = d.next())
                data += e.data.size();
        }
        benchmark::DoNotOptimize(data);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * b.size()));
}
BENCHMARK(BM_DecodeContent)->ArgsProduct({{0, 1, 2}, {0, 1, 2}})->Unit(benchmark::kMillisecond);

void BM_ReceiveToDisk(benchmark::State& state) {
    const std::string& b = body();
    for (auto _ : state) {
        UploadSink sink(kBoundary, {.folder = bench_dir(), .multipart = {.max_body = b.size()}});
        for (std::size_t i = 0; i < b.size(); i += kChunk)
            if (!sink.feed(std::string_view(b).substr(i, kChunk))) state.SkipWithError("feed");
        auto r = sink.finish();
        if (!r || r->files.size() != 1 || r->files[0].size != kFileBytes) state.SkipWithError("result");
    }  // the temporary file is deleted here, inside the timing, as a refused upload would be
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * b.size()));
}
BENCHMARK(BM_ReceiveToDisk)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_WriteBaseline(benchmark::State& state) {
    const std::string& b = body();
    fs::path path = bench_dir() / "baseline";
    for (auto _ : state) {
        int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        for (std::size_t i = 0; i < b.size(); i += kChunk)
            if (::write(fd, b.data() + i, std::min(kChunk, b.size() - i)) < 0) state.SkipWithError("write");
        ::fsync(fd);
        ::close(fd);
        ::unlink(path.c_str());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * b.size()));
}
BENCHMARK(BM_WriteBaseline)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MemcpyBaseline(benchmark::State& state) {
    const std::string& b = body();
    std::string dst(b.size(), '\0');
    for (auto _ : state) {
        std::memcpy(dst.data(), b.data(), b.size());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * b.size()));
}
BENCHMARK(BM_MemcpyBaseline)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

namespace bench_upload {
int run_limit_server(int argc, char** argv);
}

int main(int argc, char** argv) {
    if (argc > 1 && std::string_view(argv[1]) == "--limit-server") return bench_upload::run_limit_server(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
