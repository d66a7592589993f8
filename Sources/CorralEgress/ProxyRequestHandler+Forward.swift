import NIOCore
import NIOHTTP1

/// Plain HTTP: an absolute-form request forwarded in origin-form to a granted host:port, over a new
/// connection that closes after the response, and the response streamed back.
extension ProxyRequestHandler {
    /// Checks the request's target, then connects to it; the request's parts wait until then (the client's
    /// reads pause meanwhile).
    func startForward(_ head: HTTPRequestHead) {
        guard let target = checkedTarget(head, parse: ProxyTarget.absolute), let path = target.path, let context else { return }
        self.target = target
        requestMethod = head.method
        clientVersion = head.version.major == 1 && head.version.minor == 0 ? .http1_0 : .http1_1
        phase = .connectingForward
        pendingParts = [.head(Self.upstreamHead(head, target: target, path: path))]
        Self.setAutoRead(context.channel, false)
        let connecting = connect(target, halfClosure: false) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandlers([
                    HTTPRequestEncoder(),
                    ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .forward)),
                    NIOHTTPRequestHeadersValidator(),
                ])
            }
        }
        connecting?.assumeIsolated().whenComplete { result in
            switch result {
            case let .success(upstream):
                self.beginForwarding(to: upstream)
            case let .failure(error):
                guard self.phase == .connectingForward else { return }
                self.logger.info("egress: could not connect", metadata: ["destination": "\(target.destination)", "error": "\(error)"])
                self.reply(.upstreamFailed(target, error))
            }
        }
    }

    private func beginForwarding(to upstream: any Channel) {
        guard phase == .connectingForward, let context, let target, context.channel.isActive else {
            upstream.close(promise: nil)
            return
        }
        do {
            try upstream.pipeline.syncOperations.addHandler(UpstreamResponseHandler(front: self))
        } catch {
            upstream.close(promise: nil)
            reply(.upstreamFailed(target, error))
            return
        }
        phase = .forwarding
        self.upstream = upstream
        for part in pendingParts { upstream.write(part, promise: nil) }
        pendingParts = []
        upstream.flush()
        Self.setAutoRead(context.channel, upstream.isWritable)
        Self.setAutoRead(upstream, context.channel.isWritable)
    }

    /// A body part or the end of the client's request: kept while connecting, written upstream after.
    func forwardRequestPart(_ part: HTTPServerRequestPart) {
        // Whatever follows the request (a pipelined one) is not served, nor passed on.
        guard !requestEnded else { return }
        let outgoing: HTTPClientRequestPart
        switch part {
        case .head: return
        case let .body(buffer): outgoing = .body(.byteBuffer(buffer))
        case let .end(trailers):
            requestEnded = true
            outgoing = .end(trailers)
        }
        guard phase == .forwarding, let upstream else {
            pendingParts.append(outgoing)
            return
        }
        upstream.write(outgoing, promise: nil)
        if case .end = outgoing { upstream.flush() }
        // Read from the client only as fast as the destination takes the request.
        if !upstream.isWritable, let context { Self.setAutoRead(context.channel, false) }
    }

    // MARK: Calls from the UpstreamResponseHandler (same event loop)

    func upstreamResponded(_ part: HTTPClientResponsePart) {
        guard phase == .forwarding, let context else { return }
        switch part {
        case let .head(head):
            let informational = (100..<200).contains(head.status.code) && head.status.code != 101
            if informational {
                // HTTP/1.0 clients do not know 1xx answers.
                if clientVersion == .http1_1 { context.write(wrapOutboundOut(.head(head)), promise: nil) }
                return
            }
            responseStarted = true
            headWritten = context.write(wrapOutboundOut(.head(Self.clientHead(head, version: clientVersion))))
        case let .body(buffer):
            guard requestMethod != .HEAD else { return }
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            if !context.channel.isWritable, let upstream { Self.setAutoRead(upstream, false) }
        case let .end(trailers):
            phase = .finished
            upstream?.close(promise: nil)
            upstream = nil
            // A response to HEAD has no body: no end marker either (a chunked one would be read as garbage).
            let done = requestMethod == .HEAD ? (headWritten ?? context.eventLoop.makeSucceededVoidFuture()) : context.write(wrapOutboundOut(.end(trailers)))
            context.flush()
            done.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    func upstreamReadComplete() {
        if phase == .forwarding { context?.flush() }
    }

    func upstreamWritabilityChanged(_ isWritable: Bool) {
        if phase == .forwarding, let context { Self.setAutoRead(context.channel, isWritable) }
    }

    /// The destination closed or failed before its response ended: 502 if nothing was sent yet, otherwise
    /// the client's connection closes too (a cut response is all the client can be told).
    func upstreamEnded(error: (any Error)?) {
        guard phase == .forwarding || phase == .connectingForward, let context else { return }
        upstream = nil
        if let target {
            logger.info("egress: the destination broke off", metadata: ["destination": "\(target.destination)", "error": "\(error.map { "\($0)" } ?? "closed")"])
        }
        if !responseStarted, let target {
            reply(.noResponse(target))
        } else {
            phase = .finished
            context.close(promise: nil)
        }
    }

    /// The request sent upstream: origin-form, hop-by-hop fields dropped, Host from the URI,
    /// `Connection: close`.
    static func upstreamHead(_ head: HTTPRequestHead, target: ProxyTarget, path: String) -> HTTPRequestHead {
        var headers = head.headers
        headers.removeHopByHopFields()
        headers.replaceOrAdd(name: "Host", value: target.hostHeader)
        headers.add(name: "Connection", value: "close")
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: path, headers: headers)
    }

    /// The response sent to the client: hop-by-hop fields dropped, `Connection: close`; to an HTTP/1.0
    /// client without chunked framing (the end of the connection ends the body).
    static func clientHead(_ head: HTTPResponseHead, version: HTTPVersion) -> HTTPResponseHead {
        var headers = head.headers
        headers.removeHopByHopFields()
        if version == .http1_0 { headers.remove(name: "Transfer-Encoding") }
        headers.add(name: "Connection", value: "close")
        return HTTPResponseHead(version: version, status: head.status, headers: headers)
    }

    static func setAutoRead(_ channel: any Channel, _ on: Bool) {
        try? channel.syncOptions?.setOption(.autoRead, value: on)
    }
}
