public import Curl
public import MPS

extension MPSError {
    /// A transport failure: not sent → retryable, maybe sent → ambiguous.
    public static func transport(_ error: CurlError, action: String) -> MPSError {
        MPSError(
            errorClass: error.delivery == .notSent ? .retryable : .ambiguous,
            code: "ClientNetworkError.\(error.code)",
            message: error.description,
            action: action
        )
    }
}
