public import NIOPosix

/// An async HTTP client over libcurl.
///
/// Every request gets its own easy handle, created, used and cleaned up inside one job on
/// `threadPool`, so blocking `curl_easy_perform` never runs on the cooperative pool and no
/// handle is shared. TLS verification is always on, only http and https are spoken, and
/// redirects are followed only when the configuration asks.
public final class CurlClient: Sendable {
    /// The configuration used when `execute` is not given one.
    public let configuration: CurlConfiguration
    let threadPool: NIOThreadPool

    /// Creates a client that runs transfers on `threadPool`, which the caller starts and shuts down.
    /// Each in-flight request occupies one pool thread.
    public init(threadPool: NIOThreadPool, configuration: CurlConfiguration = .init()) {
        self.threadPool = threadPool
        self.configuration = configuration
    }

    /// Sends `request` and returns the final response, whatever its status.
    ///
    /// Throws `CurlError` when no response was received; its `delivery` says whether the
    /// request may have reached the server. Cancelling the calling task aborts the transfer
    /// (within about a second when it is idle) with `CurlError.Code.cancelled`.
    public func execute(_ request: HTTPRequest, configuration: CurlConfiguration? = nil) async throws(CurlError) -> HTTPResponse {
        let configuration = configuration ?? self.configuration
        try request.validate(userAgent: configuration.userAgent)
        let cancellation = CancellationFlag()
        let outcome: Result<HTTPResponse, CurlError>
        do {
            outcome = try await withTaskCancellationHandler {
                try await self.threadPool.runIfActive {
                    EasyTransfer.perform(request, configuration: configuration, cancellation: cancellation)
                }
            } onCancel: {
                cancellation.cancel()
            }
        } catch is CancellationError {
            throw request.refused(.cancelled, "the task was cancelled before the transfer started")
        } catch {
            throw request.refused(.other, "the thread pool is not running")
        }
        return try outcome.get()
    }
}
