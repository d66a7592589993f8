import Testing

/// Checks that no connection reached `server` (after giving a leaked one time to arrive), then proves the
/// check could fail: a direct connection is counted.
func expectUntouched(_ server: TestServer, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    try await Task.sleep(for: .milliseconds(200))
    #expect(server.acceptCount == 0, "the proxy reached a destination it refused", sourceLocation: sourceLocation)
    let direct = try TestClient(host: server.host, port: server.port)
    #expect(await eventually { server.acceptCount == 1 }, "the accept counter does not count", sourceLocation: sourceLocation)
    _ = direct
}
