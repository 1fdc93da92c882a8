import CLibCurl
import Synchronization

/// `curl_global_init` must run once, before the first handle, and is not thread-safe on every
/// build; Swift runs a global's initializer exactly once, thread-safely, on first use.
private let globalInitResult: Int32 = CurlError.raw(mpshook_curl_global_init_default())

/// Set from any thread when the calling task is cancelled; polled by the progress callback.
final class CancellationFlag: Sendable {
    private let cancelled = Atomic<Bool>(false)

    func cancel() {
        self.cancelled.store(true, ordering: .relaxed)
    }

    var isCancelled: Bool {
        self.cancelled.load(ordering: .relaxed)
    }
}

/// State the C callbacks write into. Created, used and dropped on the one pool thread that
/// runs the transfer (callbacks run inside `curl_easy_perform`), so it needs no lock and is not Sendable.
final class TransferContext {
    /// Cap on the bytes of all header lines, over every hop, independent of the body limit.
    static let maxHeaderBytes = 1 << 20

    let maxBodyBytes: Int
    let cancellation: CancellationFlag
    var body: [UInt8] = []
    var headers = ResponseHeaderCollector()
    var headerBytes = 0
    var exceededLimit = false
    var cancelled = false

    init(maxBodyBytes: Int, cancellation: CancellationFlag) {
        self.maxBodyBytes = Swift.max(0, maxBodyBytes)
        self.cancellation = cancellation
    }

    /// False aborts the transfer: the body would exceed the limit.
    func appendBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count <= self.maxBodyBytes - self.body.count else {
            self.exceededLimit = true
            return false
        }
        self.body.append(contentsOf: bytes)
        return true
    }

    /// False aborts the transfer: the headers would exceed their cap.
    func appendHeaderLine(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count <= Self.maxHeaderBytes - self.headerBytes else {
            self.exceededLimit = true
            return false
        }
        self.headerBytes += bytes.count
        self.headers.consume(line: bytes)
        return true
    }

    /// True aborts the transfer: the calling task was cancelled.
    func shouldAbort() -> Bool {
        if self.cancellation.isCancelled {
            self.cancelled = true
        }
        return self.cancelled
    }
}

/// One request on one easy handle, run synchronously on a thread-pool thread.
enum EasyTransfer {
    /// Never throws: every failure, setup included, comes back as a classified `CurlError`.
    static func perform(
        _ request: HTTPRequest,
        configuration: CurlConfiguration,
        cancellation: CancellationFlag
    ) -> Result<HTTPResponse, CurlError> {
        guard !cancellation.isCancelled else {
            return .failure(request.refused(.cancelled, "the task was cancelled before the transfer started"))
        }
        guard globalInitResult == 0 else {
            return .failure(
                CurlError(code: .other, delivery: .notSent, curlCode: globalInitResult, message: "curl_global_init failed", url: request.url)
            )
        }
        let context = TransferContext(maxBodyBytes: configuration.maxResponseBytes, cancellation: cancellation)
        let errorBufferSize = Int(CURL_ERROR_SIZE)
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: errorBufferSize)
        errorBuffer.initialize(repeating: 0, count: errorBufferSize)
        defer { errorBuffer.deallocate() }
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        var resolveList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(resolveList) }
        guard let handle = curl_easy_init() else {
            return .failure(request.refused(.other, "curl_easy_init failed"))
        }
        // Declared last so it runs first: the handle must go before the memory it points to.
        defer { curl_easy_cleanup(handle) }

        return withExtendedLifetime(context) {
            do throws(CurlError) {
                try self.configure(
                    handle,
                    request: request,
                    configuration: configuration,
                    context: Unmanaged.passUnretained(context).toOpaque(),
                    errorBuffer: errorBuffer,
                    headerList: &headerList,
                    resolveList: &resolveList
                )
            } catch {
                return .failure(error)
            }
            let result = curl_easy_perform(handle)
            guard result == CURLE_OK else {
                return .failure(self.failure(handle, result: result, request: request, context: context, errorBuffer: errorBuffer))
            }
            var status = 0
            _ = mpshook_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            return .success(HTTPResponse(status: status, headers: context.headers.headers, body: context.body))
        }
    }

    private static func failure(
        _ handle: UnsafeMutableRawPointer,
        result: CURLcode,
        request: HTTPRequest,
        context: TransferContext,
        errorBuffer: UnsafeMutablePointer<CChar>
    ) -> CurlError {
        // On a getinfo failure the counters keep their nonzero defaults: "maybe sent" is the safe side.
        var requestSize = 1
        var pretransfer: curl_off_t = 1
        var redirects = 1
        if mpshook_curl_easy_getinfo_long(handle, CURLINFO_REQUEST_SIZE, &requestSize) != CURLE_OK { requestSize = 1 }
        if mpshook_curl_easy_getinfo_off_t(handle, CURLINFO_PRETRANSFER_TIME_T, &pretransfer) != CURLE_OK { pretransfer = 1 }
        if mpshook_curl_easy_getinfo_long(handle, CURLINFO_REDIRECT_COUNT, &redirects) != CURLE_OK { redirects = 1 }
        let facts = TransferFacts(
            curlCode: CurlError.raw(result),
            requestBytesSent: requestSize,
            pretransferMicroseconds: Int64(pretransfer),
            redirectCount: redirects,
            exceededLimit: context.exceededLimit,
            cancelled: context.cancelled
        )
        let (code, delivery) = CurlError.classify(facts)
        var message = String(cString: errorBuffer)
        if message.isEmpty {
            message = String(cString: curl_easy_strerror(result))
        }
        if context.exceededLimit {
            message = "response exceeded the size limit; the request was sent (\(message))"
        } else if context.cancelled {
            message = "the task was cancelled during the transfer (\(message))"
        }
        return CurlError(code: code, delivery: delivery, curlCode: facts.curlCode, message: message, url: request.url)
    }

    private static func configure(
        _ handle: UnsafeMutableRawPointer,
        request: HTTPRequest,
        configuration: CurlConfiguration,
        context: UnsafeMutableRawPointer,
        errorBuffer: UnsafeMutablePointer<CChar>,
        headerList: inout UnsafeMutablePointer<curl_slist>?,
        resolveList: inout UnsafeMutablePointer<curl_slist>?
    ) throws(CurlError) {
        func check(_ result: CURLcode, _ what: String) throws(CurlError) {
            guard result == CURLE_OK else {
                let reason = String(cString: curl_easy_strerror(result))
                throw CurlError(
                    code: .other,
                    delivery: .notSent,
                    curlCode: CurlError.raw(result),
                    message: "libcurl refused \(what): \(reason)",
                    url: request.url
                )
            }
        }
        func set(_ option: CURLoption, _ value: Int, _ what: String) throws(CurlError) {
            try check(mpshook_curl_easy_setopt_long(handle, option, value), what)
        }
        func set(_ option: CURLoption, _ value: String, _ what: String) throws(CurlError) {
            try check(mpshook_curl_easy_setopt_string(handle, option, value), what)
        }

        // Errors and safety first, so that a later failure is reported with libcurl's text.
        try check(mpshook_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "ERRORBUFFER")
        try set(CURLOPT_NOSIGNAL, 1, "NOSIGNAL")
        try set(CURLOPT_PROTOCOLS_STR, "http,https", "PROTOCOLS_STR")
        try set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https", "REDIR_PROTOCOLS_STR")
        try set(CURLOPT_SSL_VERIFYPEER, 1, "SSL_VERIFYPEER")
        try set(CURLOPT_SSL_VERIFYHOST, 2, "SSL_VERIFYHOST")
        try set(CURLOPT_URL, request.url, "the URL")
        if !configuration.pinnedAddresses.isEmpty {
            for pinned in configuration.pinnedAddresses {
                guard let extended = curl_slist_append(resolveList, pinned.resolveEntry) else {
                    throw request.refused(.other, "out of memory building the resolve list")
                }
                resolveList = extended
            }
            try check(mpshook_curl_easy_setopt_slist(handle, CURLOPT_RESOLVE, resolveList), "RESOLVE")
            // A proxy (http_proxy in the environment) would resolve the host itself and connect
            // wherever it leads: a pinned call goes direct, or the check before it means nothing.
            try set(CURLOPT_NOPROXY, "*", "NOPROXY")
        }

        try set(CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeout.curlMilliseconds, "CONNECTTIMEOUT_MS")
        try set(CURLOPT_TIMEOUT_MS, configuration.totalTimeout.curlMilliseconds, "TIMEOUT_MS")
        try set(CURLOPT_FOLLOWLOCATION, configuration.followRedirects ? 1 : 0, "FOLLOWLOCATION")
        try set(CURLOPT_MAXREDIRS, Swift.max(0, configuration.maxRedirects), "MAXREDIRS")
        // Rejects a too-large Content-Length before the body arrives; the write callback covers the rest.
        try check(
            mpshook_curl_easy_setopt_off_t(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(Swift.max(0, configuration.maxResponseBytes))),
            "MAXFILESIZE_LARGE"
        )
        if !configuration.userAgent.isEmpty {
            try set(CURLOPT_USERAGENT, configuration.userAgent, "USERAGENT")
        }

        try check(
            mpshook_curl_easy_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION) { data, size, count, userdata in
                guard let userdata else { return 0 }
                let context = Unmanaged<TransferContext>.fromOpaque(userdata).takeUnretainedValue()
                let (length, overflow) = size.multipliedReportingOverflow(by: count)
                guard !overflow, length == 0 || data != nil else { return 0 }
                guard context.appendBody(UnsafeRawBufferPointer(start: data, count: length)) else { return 0 }
                return length
            },
            "WRITEFUNCTION"
        )
        try check(mpshook_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, context), "WRITEDATA")
        try check(
            mpshook_curl_easy_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION) { data, size, count, userdata in
                guard let userdata else { return 0 }
                let context = Unmanaged<TransferContext>.fromOpaque(userdata).takeUnretainedValue()
                let (length, overflow) = size.multipliedReportingOverflow(by: count)
                guard !overflow, length == 0 || data != nil else { return 0 }
                guard context.appendHeaderLine(UnsafeRawBufferPointer(start: data, count: length)) else { return 0 }
                return length
            },
            "HEADERFUNCTION"
        )
        try check(mpshook_curl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, context), "HEADERDATA")
        try check(
            mpshook_curl_easy_setopt_xferinfo_callback(handle, CURLOPT_XFERINFOFUNCTION) { userdata, _, _, _, _ in
                guard let userdata else { return 1 }
                return Unmanaged<TransferContext>.fromOpaque(userdata).takeUnretainedValue().shouldAbort() ? 1 : 0
            },
            "XFERINFOFUNCTION"
        )
        try check(mpshook_curl_easy_setopt_pointer(handle, CURLOPT_XFERINFODATA, context), "XFERINFODATA")
        try set(CURLOPT_NOPROGRESS, 0, "NOPROGRESS")

        let sendsBody = try self.configureMethodAndBody(request, set: set, check: check, handle: handle)

        // "Name:" removes a header libcurl would add; "Name;" sends an empty value.
        let given = Set(request.headers.map { $0.name.lowercased() })
        var lines = request.headers.map { $0.value.isEmpty ? "\($0.name);" : "\($0.name): \($0.value)" }
        if !given.contains("expect") { lines.append("Expect:") }  // no 100-continue round trip
        if !given.contains("accept") { lines.append("Accept:") }
        if sendsBody && !given.contains("content-type") { lines.append("Content-Type:") }
        for line in lines {
            guard let extended = curl_slist_append(headerList, line) else {
                throw request.refused(.other, "out of memory building the header list")
            }
            headerList = extended
        }
        try check(mpshook_curl_easy_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList), "HTTPHEADER")
    }

    /// Returns whether the request carries a body (and so a Content-Length).
    ///
    /// GET and HEAD use libcurl's own modes (HEAD must set NOBODY or libcurl waits for a body);
    /// POST needs no CUSTOMREQUEST, which keeps libcurl's POST-to-GET switch on 301/302/303.
    /// POST, PUT and PATCH always send a body, empty if need be, so a Content-Length: 0 goes out.
    private static func configureMethodAndBody(
        _ request: HTTPRequest,
        set: (CURLoption, Int, String) throws(CurlError) -> Void,
        check: (CURLcode, String) throws(CurlError) -> Void,
        handle: UnsafeMutableRawPointer
    ) throws(CurlError) -> Bool {
        if request.method == "HEAD" {
            try set(CURLOPT_NOBODY, 1, "NOBODY")
            return false
        }
        if request.method == "GET" && request.body.isEmpty {
            try set(CURLOPT_HTTPGET, 1, "HTTPGET")
            return false
        }
        let sendsBody = !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method)
        if sendsBody {
            // Size first: COPYPOSTFIELDS copies that many bytes (and never reads from stdin).
            try check(
                mpshook_curl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)),
                "POSTFIELDSIZE_LARGE"
            )
            let result: CURLcode
            if request.body.isEmpty {
                result = mpshook_curl_easy_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, "")
            } else {
                result = request.body.withUnsafeBytes { bytes in
                    mpshook_curl_easy_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
                }
            }
            try check(result, "COPYPOSTFIELDS")
        }
        if request.method != "POST" {
            try check(mpshook_curl_easy_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method), "CUSTOMREQUEST")
        }
        return sendsBody
    }
}

/// Collects header lines from libcurl's header callback, keeping only the final response's:
/// every status line (interim 1xx, each redirect hop) starts the list afresh.
package struct ResponseHeaderCollector {
    package private(set) var headers: [(name: String, value: String)] = []

    package init() {}

    package mutating func consume(line raw: some Collection<UInt8>) {
        var line = Array(raw)[...]
        while let last = line.last, last == 0x0A || last == 0x0D {
            line.removeLast()
        }
        if line.starts(with: "HTTP/".utf8) {
            self.headers.removeAll()
            return
        }
        guard let first = line.first else { return }
        if first == 0x20 || first == 0x09 {
            // Obsolete line folding: the line continues the previous value.
            guard let lastIndex = self.headers.indices.last else { return }
            let continuation = Self.trimmed(line)
            if !continuation.isEmpty {
                self.headers[lastIndex].value += " " + String(decoding: continuation, as: UTF8.self)
            }
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return }
        let name = String(decoding: Self.trimmed(line[..<colon]), as: UTF8.self)
        let value = String(decoding: Self.trimmed(line[line.index(after: colon)...]), as: UTF8.self)
        self.headers.append((name: name, value: value))
    }

    private static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var bytes = bytes
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        return bytes
    }
}
