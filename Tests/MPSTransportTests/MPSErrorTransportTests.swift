import Curl
import MPS
import MPSTransport
import Testing

@Suite struct MPSErrorTransportTests {
    @Test func transportErrorsFollowDelivery() {
        let notSent = CurlError(code: .couldNotConnect, delivery: .notSent, curlCode: 7, message: "refused", url: "http://127.0.0.1:1/")
        let maybe = CurlError(code: .timeout, delivery: .maybeSent, curlCode: 28, message: "timed out", url: "http://127.0.0.1:1/")
        #expect(MPSError.transport(notSent, action: "BatchProcessMedia").errorClass == .retryable)
        #expect(MPSError.transport(maybe, action: "BatchProcessMedia").errorClass == .ambiguous)
        #expect(MPSError.transport(maybe, action: "BatchProcessMedia").code == "ClientNetworkError.timeout")
    }
}
