import ArgumentParser
import AsyncHTTPClient
import CorralSystem
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// `corral bench invoke`: the server's own numbers, measured in one run against its floor. Starts a
/// supervisor on loopback with a scratch data directory, deploys a no-op Python function, and measures:
/// the floor (GET /corral/ping on the same server and kind of connection), warm invocations, throughput
/// at a concurrency with that many warm environments, and cold starts next to a bare `python3 -c pass`.
struct BenchInvokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoke",
        abstract: "Measure invocation latency, throughput and cold starts against the server's floor.")

    @Option(help: "Concurrent clients for the throughput part (each with its own warm environment).")
    var concurrency = 2
    @Option(help: "Seconds of the throughput part.")
    var duration = 5.0
    @Option(help: "Sequential requests for the floor and the warm latency.")
    var runs = 1000
    @Option(help: "Cold starts measured.")
    var coldRuns = 20
    @Option(help: "Idle environments to hold at the end, to measure the supervisor's resident memory with them (0 skips).")
    var idleEnvironments = 0
    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    struct Result: Encodable {
        var floor: Percentiles
        var warm: Percentiles
        var warmOverFloorP50: Double
        var throughputPerSecond: Double
        var concurrency: Int
        var cold: Percentiles
        var barePython: Percentiles
        var coldOverBarePythonP50Ms: Double
        var idleEnvironments: Int
        var supervisorRSSMB: Double?
    }

    /// VmRSS of this process, in MB.
    static func residentMegabytes() -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kB = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kB / 1024
    }

    func run() async throws {
        guard geteuid() == 0 else {
            printError("corral bench invoke: needs root (sandboxes)")
            throw ExitCode(1)
        }
        var logger = Logger(label: "corral-bench", factory: ServerLogHandler.init)
        logger.logLevel = .critical // the server's own shutdown chatter is not part of the result
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("corral-bench-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var settings = ServerConfiguration()
        settings.cgroupParent = "corral-bench"
        let supervisor = try Supervisor(settings: settings, dataDirectory: scratch, publicURL: "http://127.0.0.1", logger: logger)
        do {
            try await measure(supervisor, logger: logger)
        } catch {
            await supervisor.shutdown()
            throw error
        }
        await supervisor.shutdown()
    }

    private func measure(_ supervisor: Supervisor, logger: Logger) async throws {
        var pool = HTTPClient.Configuration.ConnectionPool()
        pool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(concurrency, idleEnvironments) + 4
        // Lives until the command exits (a one-shot process).
        Self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(connectionPool: pool))
        try await supervisor.restore()
        let ports = AsyncStream<Int>.makeStream()
        let app = Application(router: supervisor.router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { channel in
                                  ports.continuation.yield(channel.localAddress?.port ?? 0)
                                  ports.continuation.finish()
                              }, logger: logger)
        let server = Task { try await app.runService(gracefulShutdownSignals: []) }
        defer { server.cancel() }
        var iterator = ports.stream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw ValidationError("the server did not start") }
        let base = "http://127.0.0.1:\(port)"
        guard let python = supervisor.catalog.identifiers.first(where: { $0.hasPrefix("python3.") }) else {
            throw ValidationError("no python3.N runtime on this host")
        }

        let zip = try DeployCommand.zipFiles(["app.py": "def handler(event, context):\n    return None\n"])
        _ = try await Self.send(base, "POST", "/2015-03-31/functions", json: [
            "FunctionName": "noop", "Runtime": python, "Handler": "app.handler", "Role": "arn:aws:iam::000000000000:role/bench",
            "Code": ["ZipFile": zip.base64EncodedString()], "MemorySize": 128, "Timeout": 10,
        ])
        let invokePath = "/2015-03-31/functions/noop/invocations"

        // Warm up: one environment per concurrent client, and the connection pool.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency { group.addTask { _ = try await Self.send(base, "POST", invokePath, body: Data("{}".utf8)) } }
            try await group.waitForAll()
        }
        for _ in 0..<50 { _ = try await Self.send(base, "GET", "/corral/ping") }

        var floor: [Double] = [], warm: [Double] = []
        for _ in 0..<runs {
            floor.append(try await Self.timed { _ = try await Self.send(base, "GET", "/corral/ping") })
            warm.append(try await Self.timed { _ = try await Self.send(base, "POST", invokePath, body: Data("{}".utf8)) })
        }

        let deadline = MonotonicClock.now() + UInt64(duration * 1e9)
        let completed = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var count = 0
                    while MonotonicClock.now() < deadline {
                        _ = try await Self.send(base, "POST", invokePath, body: Data("{}".utf8))
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }

        var cold: [Double] = [], bare: [Double] = []
        for index in 0..<coldRuns {
            // A configuration change retires the warm environments: the next invocation starts cold.
            _ = try await Self.send(base, "PUT", "/2015-03-31/functions/noop/configuration", json: ["Description": "cold \(index)"])
            cold.append(try await Self.timed { _ = try await Self.send(base, "POST", invokePath, body: Data("{}".utf8)) })
            bare.append(try Self.timedSpawn(["/usr/bin/" + python, "-c", "pass"]))
        }

        // Supervisor memory with many idle environments: a function that holds each invocation long enough
        // that every concurrent one gets its own environment.
        var idleRSS: Double? = nil
        if idleEnvironments > 0 {
            let slow = try DeployCommand.zipFiles(["app.py": "import time\ndef handler(event, context):\n    time.sleep(5.0)\n"])
            _ = try await Self.send(base, "POST", "/2015-03-31/functions", json: [
                "FunctionName": "idle", "Runtime": python, "Handler": "app.handler", "Role": "arn:aws:iam::000000000000:role/bench",
                "Code": ["ZipFile": slow.base64EncodedString()], "MemorySize": 128, "Timeout": 30,
            ])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<idleEnvironments {
                    group.addTask { _ = try await Self.send(base, "POST", "/2015-03-31/functions/idle/invocations", body: Data("{}".utf8)) }
                }
                try await group.waitForAll()
            }
            let ready = await supervisor.invoker.snapshot().functions.first { $0.function == "idle" }?.ready ?? 0
            guard ready >= idleEnvironments else { throw ValidationError("only \(ready) of \(idleEnvironments) environments are idle") }
            idleRSS = Self.residentMegabytes()
        }

        let result = Result(floor: Percentiles(floor), warm: Percentiles(warm), warmOverFloorP50: Percentiles(warm).p50Ms / Percentiles(floor).p50Ms,
                            throughputPerSecond: Double(completed) / duration, concurrency: concurrency,
                            cold: Percentiles(cold), barePython: Percentiles(bare),
                            coldOverBarePythonP50Ms: Percentiles(cold).p50Ms - Percentiles(bare).p50Ms,
                            idleEnvironments: idleEnvironments, supervisorRSSMB: idleRSS)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            print(String(format: "floor   p50 %.3f ms  p99 %.3f ms   (GET /corral/ping, same server and connection kind, %d runs)", result.floor.p50Ms, result.floor.p99Ms, runs))
            print(String(format: "warm    p50 %.3f ms  p99 %.3f ms   (Invoke of a no-op %@ function; %.1fx the floor's p50)", result.warm.p50Ms, result.warm.p99Ms, python, result.warmOverFloorP50))
            print(String(format: "through %.0f invocations/s   (%d concurrent clients, %d warm environments, %.0f s)", result.throughputPerSecond, concurrency, concurrency, duration))
            print(String(format: "cold    p50 %.2f ms  p99 %.2f ms   (first invocation after a configuration change, %d runs)", result.cold.p50Ms, result.cold.p99Ms, coldRuns))
            print(String(format: "python  p50 %.2f ms  p99 %.2f ms   (bare %@ -c pass; cold is %.2f ms more at p50)", result.barePython.p50Ms, result.barePython.p99Ms, python, result.coldOverBarePythonP50Ms))
            if let idleRSS {
                print(String(format: "rss     %.1f MB   (the supervisor's resident memory with %d idle environments)", idleRSS, idleEnvironments))
            }
        }
    }

    static func timed(_ body: () async throws -> Void) async throws -> Double {
        let start = MonotonicClock.now()
        try await body()
        return Double(MonotonicClock.now() - start) / 1e6
    }

    static func timedSpawn(_ argv: [String]) throws -> Double {
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let start = MonotonicClock.now()
        guard posix_spawn(&pid, argv[0], nil, nil, cArgs, environ) == 0 else { throw ValidationError("cannot start \(argv[0])") }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return Double(MonotonicClock.now() - start) / 1e6
    }

    /// One connection per concurrent client (the shared client allows 8 per host).
    nonisolated(unsafe) static var client = HTTPClient.shared

    static func send(_ base: String, _ method: String, _ path: String, json: Any? = nil, body: Data? = nil) async throws -> ByteBuffer {
        var request = HTTPClientRequest(url: base + path)
        request.method = HTTPMethod(rawValue: method)
        if let json {
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        } else if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: .seconds(60))
        let data = try await response.body.collect(upTo: 8 << 20)
        guard response.status.code < 300 else {
            throw ValidationError("\(method) \(path): \(response.status.code) \(String(buffer: data))")
        }
        return data
    }
}
