import ArgumentParser
import Synchronization
import AsyncHTTPClient
import CorralRuntime
import CorralStore
import CorralSystem
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1

/// `corral bench invoke`: the server's own numbers, measured in one run against its floor. Starts a
/// supervisor on loopback with a scratch data directory (or targets a running server with --endpoint),
/// deploys a no-op Python function, and measures: the floor (GET /corral/ping on the same server and kind
/// of connection), warm invocations, throughput at a concurrency with that many warm environments, and
/// cold starts next to a bare `python3 -c pass`.
struct BenchInvokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invoke",
        abstract: "Measure invocation latency, throughput and cold starts against the server's floor.",
        discussion: """
            Without --endpoint, starts its own server in this process (needs root, for the sandboxes); with \
            it, measures a running server on this machine, deploying and then deleting its own functions \
            (corral-bench-noop-PID, corral-bench-idle-PID). Latency is measured with AsyncHTTPClient, the \
            floor and the invocations over the same kind of keep-alive connection. Throughput is measured \
            twice: with a minimal load generator (one thread and blocking socket per connection, like wrk), \
            which leaves the two cores to the server, and with AsyncHTTPClient, whose own work is counted.
            """)

    @Option(help: "Concurrent clients for the throughput part (each with its own warm environment).")
    var concurrency = 2
    @Option(help: "Seconds of each throughput part.")
    var duration = 5.0
    @Option(help: "Sequential requests for the floor and the warm latency.")
    var runs = 1000
    @Option(help: "Cold starts measured.")
    var coldRuns = 20
    @Option(help: "Idle environments to hold at the end, to measure the supervisor's resident memory with them (0 skips).")
    var idleEnvironments = 0
    @Option(help: "Measure a running corral server at this URL (http://127.0.0.1:PORT) instead of starting one.")
    var endpoint: String?
    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    struct Result: Encodable {
        var floor: Percentiles
        var warm: Percentiles
        var warmOverFloorP50: Double
        var concurrency: Int
        /// Invocations per second with the load generator.
        var throughputPerSecond: Double
        /// Invocations per second with AsyncHTTPClient as the client.
        var throughputAsyncClientPerSecond: Double
        /// CPU time of this process per invocation of each throughput part, in microseconds (the supervisor
        /// and the client when the server runs in-process; the client alone with --endpoint).
        var processCPUPerInvocationUs: Double
        var processCPUPerInvocationAsyncClientUs: Double
        var cold: Percentiles
        var barePython: Percentiles
        var coldOverBarePythonP50Ms: Double
        var idleEnvironments: Int
        var supervisorRSSMB: Double?
    }

    func validate() throws {
        guard concurrency >= 1, concurrency <= 256 else { throw ValidationError("--concurrency must be 1-256") }
        guard duration > 0 else { throw ValidationError("--duration must be positive") }
        guard runs >= 1, coldRuns >= 1 else { throw ValidationError("--runs and --cold-runs must be at least 1") }
        guard idleEnvironments >= 0 else { throw ValidationError("--idle-environments must be 0 or more") }
        if let endpoint {
            guard let url = URL(string: endpoint), url.scheme == "http", url.host != nil, url.port != nil else {
                throw ValidationError("--endpoint must be http://HOST:PORT")
            }
        }
    }

    func run() async throws {
        var pool = HTTPClient.Configuration.ConnectionPool()
        pool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(concurrency, idleEnvironments) + 4
        // Lives until the command exits (a one-shot process).
        Self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(connectionPool: pool))
        if let endpoint {
            let base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
            guard let python = RuntimeCatalog.detect().identifiers.first(where: { $0.hasPrefix("python3.") }) else {
                throw ValidationError("no python3.N runtime on this host")
            }
            Self.credentials = ClientCredentials.discover()
            try await measure(base: base, python: python, names: ("corral-bench-noop-\(getpid())", "corral-bench-idle-\(getpid())"))
            return
        }
        guard geteuid() == 0 else {
            printError("corral bench invoke: needs root to start its own server (sandboxes); or measure one with --endpoint")
            throw ExitCode(1)
        }
        var logger = Logger(label: "corral-bench", factory: ServerLogHandler.init)
        logger.logLevel = .critical // the server's own shutdown chatter is not part of the result
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("corral-bench-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var settings = ServerConfiguration()
        settings.cgroupParent = "corral-bench"
        // One tenant measuring the host: no share of the capacity kept for others (the default tenant
        // quota, three quarters of it, would refuse the idle environments).
        settings.tenantConcurrency = 4096
        let supervisor = try Supervisor(settings: settings, dataDirectory: scratch, publicURL: "http://127.0.0.1", logger: logger)
        do {
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
            guard let python = supervisor.catalog.identifiers.first(where: { $0.hasPrefix("python3.") }) else {
                throw ValidationError("no python3.N runtime on this host")
            }
            let file = (try? String(contentsOfFile: supervisor.credentialsFile, encoding: .utf8)) ?? ""
            guard let admin = ClientCredentials.parse(file, profile: "default") else { throw ValidationError("the scratch server wrote no credentials") }
            Self.credentials = ClientCredentials(credentials: admin, region: "us-east-1", source: supervisor.credentialsFile)
            try await measure(base: "http://127.0.0.1:\(port)", python: python, names: ("noop", "idle"))
        } catch {
            await supervisor.shutdown()
            throw error
        }
        await supervisor.shutdown()
    }

    private func measure(base: String, python: String, names: (noop: String, idle: String)) async throws {
        guard let url = URL(string: base), let port = url.port.flatMap({ UInt16(exactly: $0) }) else {
            throw ValidationError("cannot read the port of \(base)")
        }
        let zip = try DeployCommand.zipFiles(["app.py": "def handler(event, context):\n    return None\n"])
        let caller = try JSONSerialization.jsonObject(with: Data(buffer: try await Self.send(base, "GET", "/corral/caller"))) as? [String: Any]
        guard let account = caller?["Account"] as? String else { throw ValidationError("the server did not say which account the bench's key belongs to") }
        let role = "arn:aws:iam::\(account):role/\(TenantStore.basicRole)"
        _ = try await Self.send(base, "POST", "/2015-03-31/functions", json: [
            "FunctionName": names.noop, "Runtime": python, "Handler": "app.handler", "Role": role,
            "Code": ["ZipFile": zip.base64EncodedString()], "MemorySize": 128, "Timeout": 10,
        ])
        var created = [names.noop]
        do {
            try await measureDeployed(base: base, port: port, python: python, names: names, role: role, created: &created)
        } catch {
            await removeFunctions(created, base: base)
            throw error
        }
        await removeFunctions(created, base: base)
    }

    /// A running server keeps no trace of the bench (a server started here goes away with its data).
    private func removeFunctions(_ names: [String], base: String) async {
        guard endpoint != nil else { return }
        for name in names { _ = try? await Self.send(base, "DELETE", "/2015-03-31/functions/\(name)") }
    }

    private func measureDeployed(base: String, port: UInt16, python: String, names: (noop: String, idle: String), role: String,
                                 created: inout [String]) async throws {
        let invokePath = "/2015-03-31/functions/\(names.noop)/invocations"

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

        // Throughput with the load generator, on its own threads.
        // One signed request, sent over and over (its signature stays valid for 15 minutes).
        let generator = LoadGenerator(port: port, path: invokePath, body: Array("{}".utf8),
                                      headers: Self.signature(base, "POST", invokePath, body: Array("{}".utf8)).filter { $0.name != "Host" })
        var cpuBefore = Self.processCPUSeconds()
        let connections = concurrency, seconds = duration
        let generated = try await Task.detached { try generator.run(connections: connections, seconds: seconds) }.value
        let cpuGenerated = (Self.processCPUSeconds() - cpuBefore) / Double(max(generated, 1)) * 1e6

        // Throughput with AsyncHTTPClient.
        cpuBefore = Self.processCPUSeconds()
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
        let cpuCompleted = (Self.processCPUSeconds() - cpuBefore) / Double(max(completed, 1)) * 1e6

        var cold: [Double] = [], bare: [Double] = []
        for index in 0..<coldRuns {
            // A configuration change retires the warm environments: the next invocation starts cold. It is
            // timed once the retired one is gone, so its teardown does not share the cores with the start.
            _ = try await Self.send(base, "PUT", "/2015-03-31/functions/\(names.noop)/configuration", json: ["Description": "cold \(index)"])
            bare.append(try Self.timedSpawn(["/usr/bin/" + python, "-c", "pass"]))
            try await Self.waitForNoEnvironments(base, function: names.noop)
            cold.append(try await Self.timed { _ = try await Self.send(base, "POST", invokePath, body: Data("{}".utf8)) })
        }

        // Supervisor memory with many idle environments: a function that holds each invocation long enough
        // that every concurrent one gets its own environment.
        var idleRSS: Double? = nil
        if idleEnvironments > 0 {
            let slow = try DeployCommand.zipFiles(["app.py": "import time\ndef handler(event, context):\n    time.sleep(5.0)\n"])
            _ = try await Self.send(base, "POST", "/2015-03-31/functions", json: [
                "FunctionName": names.idle, "Runtime": python, "Handler": "app.handler", "Role": role,
                "Code": ["ZipFile": slow.base64EncodedString()], "MemorySize": 128, "Timeout": 30,
            ])
            created.append(names.idle)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<idleEnvironments {
                    group.addTask { _ = try await Self.send(base, "POST", "/2015-03-31/functions/\(names.idle)/invocations", body: Data("{}".utf8)) }
                }
                try await group.waitForAll()
            }
            let status = try JSONSerialization.jsonObject(with: Data(buffer: try await Self.send(base, "GET", "/corral/status"))) as? [String: Any] ?? [:]
            let row = (status["functions"] as? [[String: Any]] ?? []).first { $0["function"] as? String == names.idle }
            let ready = row?["ready"] as? Int ?? 0
            guard ready >= idleEnvironments else { throw ValidationError("only \(ready) of \(idleEnvironments) environments are idle") }
            idleRSS = status["supervisorResidentMB"] as? Double
        }

        let result = Result(floor: Percentiles(floor), warm: Percentiles(warm), warmOverFloorP50: Percentiles(warm).p50Ms / Percentiles(floor).p50Ms,
                            concurrency: concurrency,
                            throughputPerSecond: Double(generated) / duration, throughputAsyncClientPerSecond: Double(completed) / duration,
                            processCPUPerInvocationUs: cpuGenerated, processCPUPerInvocationAsyncClientUs: cpuCompleted,
                            cold: Percentiles(cold), barePython: Percentiles(bare),
                            coldOverBarePythonP50Ms: Percentiles(cold).p50Ms - Percentiles(bare).p50Ms,
                            idleEnvironments: idleEnvironments, supervisorRSSMB: idleRSS)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        } else {
            let whose = endpoint == nil ? "supervisor and client" : "client"
            print(String(format: "floor   p50 %.3f ms  p99 %.3f ms   (GET /corral/ping, same server and connection kind, %d runs)", result.floor.p50Ms, result.floor.p99Ms, runs))
            print(String(format: "warm    p50 %.3f ms  p99 %.3f ms   (Invoke of a no-op %@ function; %.1fx the floor's p50)", result.warm.p50Ms, result.warm.p99Ms, python, result.warmOverFloorP50))
            print(String(format: "through %.0f invocations/s   (load generator: %d connections, %d warm environments, %.0f s; %.0f us of CPU each in this process: %@)",
                         result.throughputPerSecond, concurrency, concurrency, duration, cpuGenerated, whose))
            print(String(format: "        %.0f invocations/s   (AsyncHTTPClient: %d connections; %.0f us of CPU each in this process: %@)",
                         result.throughputAsyncClientPerSecond, concurrency, cpuCompleted, whose))
            print(String(format: "cold    p50 %.2f ms  p99 %.2f ms   (first invocation after a configuration change, %d runs)", result.cold.p50Ms, result.cold.p99Ms, coldRuns))
            print(String(format: "python  p50 %.2f ms  p99 %.2f ms   (bare %@ -c pass; cold is %.2f ms more at p50)", result.barePython.p50Ms, result.barePython.p99Ms, python, result.coldOverBarePythonP50Ms))
            if let idleRSS {
                print(String(format: "rss     %.1f MB   (the supervisor's resident memory with %d idle environments)", idleRSS, idleEnvironments))
            }
        }
    }

    /// Waits (up to 5 s) until `function` has no environment in any state, per /corral/status.
    static func waitForNoEnvironments(_ base: String, function: String) async throws {
        for _ in 0..<1000 {
            let status = try JSONSerialization.jsonObject(with: Data(buffer: try await send(base, "GET", "/corral/status"))) as? [String: Any] ?? [:]
            let row = (status["functions"] as? [[String: Any]] ?? []).first { $0["function"] as? String == function }
            let count = ["creating", "ready", "busy", "draining"].reduce(0) { $0 + (row?[$1] as? Int ?? 0) }
            if count == 0 { return }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        throw ValidationError("the retired environments of \(function) did not go within 5 s")
    }

    /// User and system CPU time of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
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

    /// What the bench signs its requests with: the scratch server's admin key, or ClientCredentials.discover()
    /// with --endpoint. Every request is signed, the floor's too (the server does not check it there), so
    /// the client does the same work for both.
    nonisolated(unsafe) static var credentials: ClientCredentials?

    static func send(_ base: String, _ method: String, _ path: String, json: Any? = nil, body: Data? = nil) async throws -> ByteBuffer {
        var request = HTTPClientRequest(url: base + path)
        request.method = HTTPMethod(rawValue: method)
        var bytes: [UInt8] = []
        if let json {
            bytes = Array(try JSONSerialization.data(withJSONObject: json))
        } else if let body {
            bytes = Array(body)
        }
        if !bytes.isEmpty { request.body = .bytes(ByteBuffer(bytes: bytes)) }
        for (name, value) in signature(base, method, path, body: bytes) { request.headers.add(name: name, value: value) }
        let response = try await client.execute(request, timeout: .seconds(60))
        let data = try await response.body.collect(upTo: 8 << 20)
        guard response.status.code < 300 else {
            throw ValidationError("\(method) \(path): \(response.status.code) \(String(buffer: data))")
        }
        return data
    }

    /// Host and the SigV4 headers for a request (none without credentials).
    static func signature(_ base: String, _ method: String, _ path: String, body: [UInt8]) -> [(name: String, value: String)] {
        guard let credentials else { return [] }
        let host = hosts.withLock { hosts in
            if let host = hosts[base] { return host }
            let host = URL(string: base).map(ClientCredentials.host) ?? "localhost"
            hosts[base] = host
            return host
        }
        return [(name: "Host", value: host)] + credentials.sign(method: method, host: host, target: path, headers: [], body: body)
    }

    /// The Host header of each base URL (parsing a URL per request cost more than signing it).
    private static let hosts = Mutex<[String: String]>([:])
}
