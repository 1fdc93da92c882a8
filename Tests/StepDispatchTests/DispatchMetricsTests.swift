import MPS
import Testing

@testable import StepDispatch

/// The `code` label of `mpshook_mps_calls_total` stays a bounded set whatever MPS answers.
@Suite struct DispatchMetricsTests {
    @Test func documentedAndOwnCodesAreKeptAndEverythingElseIsOther() {
        for code in ["RequestLimitExceeded", "InvalidParameterValue.SessionContextTooLong", "AuthFailure.SignatureFailure",
            "ResourceNotFound.TaskNotFound", "ClientValidation", "ServerNetworkError", "InvalidResponse", "ClientNetworkError.timeout"]
        {
            #expect(DispatchMetrics.label(code: code) == code)
        }
        for code in ["InvalidParameterValue.SomethingNew", "Made.Up", "", "ClientNetworkError.", "ClientNetworkError.a-b",
            "ClientNetworkError." + String(repeating: "x", count: 40), "RequestLimitExceeded\n", "mh1:0123456789abcdef"]
        {
            #expect(DispatchMetrics.label(code: code) == "other", "\(code)")
        }
    }

    @Test func everyClassifiedCodeIsALabel() {
        #expect(!MPSError.classifiedCodes.isEmpty)
        for code in MPSError.classifiedCodes {
            #expect(DispatchMetrics.label(code: code) == code)
        }
    }
}
