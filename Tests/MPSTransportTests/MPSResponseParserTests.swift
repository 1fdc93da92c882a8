import Curl
import MPS
import Testing

@testable import MPSTransport

@Suite struct MPSResponseParserTests {
    struct TaskCreated: Decodable, Equatable {
        var TaskId: String
        var RequestId: String
    }

    func parse(status: Int = 200, _ body: String) -> Result<TaskCreated, MPSError> {
        do throws(MPSError) {
            return .success(try MPSResponseParser.parse(HTTPResponse(status: status, body: Array(body.utf8)), action: "BatchProcessMedia"))
        } catch {
            return .failure(error)
        }
    }

    @Test func successBodyDecodes() throws {
        let created = try parse(#"{"Response":{"RequestId":"r-1","TaskId":"24000030-BatchTask-e6fe"}}"#).get()
        #expect(created == TaskCreated(TaskId: "24000030-BatchTask-e6fe", RequestId: "r-1"))
    }

    @Test func apiErrorIsClassifiedWithItsRequestId() {
        guard case .failure(let error) = parse(#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"The provided credentials could not be validated."},"RequestId":"r-2"}}"#) else {
            Issue.record("expected an error")
            return
        }
        #expect(error.code == "AuthFailure.SignatureFailure")
        #expect(error.errorClass == .final)
        #expect(error.requestId == "r-2")
        #expect(error.message.contains("credentials"))
    }

    @Test(arguments: [
        (200, ""),
        (200, "<html><body>502 Bad Gateway</body></html>"),
        (200, #"{"Response":{"RequestId":"r-3","TaskId":"#),
        (200, #"{"Response":{"RequestId":"r-4"}}"#),
        (200, "[]"),
        (502, "<html>bad gateway</html>"),
        (504, ""),
    ])
    func anythingElseIsAmbiguousNeverACrash(status: Int, body: String) {
        guard case .failure(let error) = parse(status: status, body) else {
            Issue.record("expected an error for \(status) \(body)")
            return
        }
        #expect(error.errorClass == .ambiguous)
        #expect(["InvalidResponse", "ServerNetworkError"].contains(error.code))
    }

    @Test func errorBodyWithANon200StatusKeepsItsCode() {
        guard case .failure(let error) = parse(status: 429, #"{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"slow down"},"RequestId":"r-5"}}"#) else {
            Issue.record("expected an error")
            return
        }
        #expect(error.errorClass == .retryable)
        #expect(error.httpStatus == 429)
    }
}
