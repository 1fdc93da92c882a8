extension HTTPRequest {
    /// Refuses, before anything is sent, a request libcurl would mangle or that could inject
    /// header lines: a non-token method or header name, CR/LF/NUL in a value, a URL with
    /// whitespace or control characters, or a scheme other than http/https.
    func validate(userAgent: String) throws(CurlError) {
        guard ASCII.isToken(self.method) else {
            throw self.refused(.invalidRequest, "the method is not an HTTP token")
        }
        guard self.method != "HEAD" || self.body.isEmpty else {
            throw self.refused(.invalidRequest, "a HEAD request cannot carry a body")
        }
        for header in self.headers {
            guard ASCII.isToken(header.name) else {
                throw self.refused(.invalidRequest, "a header name is not an HTTP token")
            }
            guard ASCII.isSafeFieldValue(header.value) else {
                throw self.refused(.invalidRequest, "the value of header \(header.name) contains CR, LF or NUL")
            }
        }
        guard ASCII.isSafeFieldValue(userAgent) else {
            throw self.refused(.invalidRequest, "the user agent contains CR, LF or NUL")
        }
        guard !self.url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
            throw self.refused(.malformedURL, "the URL contains whitespace or control characters")
        }
        guard let separator = self.url.firstRange(of: "://") else {
            throw self.refused(.malformedURL, "the URL is not absolute")
        }
        let scheme = self.url[..<separator.lowerBound]
        guard ASCII.equalsIgnoringCase(String(scheme), "http") || ASCII.equalsIgnoringCase(String(scheme), "https") else {
            throw self.refused(.unsupportedProtocol, "only http and https URLs are allowed")
        }
    }

    func refused(_ code: CurlError.Code, _ message: String) -> CurlError {
        CurlError(code: code, delivery: .notSent, message: message, url: self.url)
    }
}
