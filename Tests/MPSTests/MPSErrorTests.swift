import Testing

@testable import MPS

@Suite struct MPSErrorTests {
    /// Every code on the seed page and in mps-reference §7, with its class.
    @Test(arguments: [
        // Seed page.
        ("FailedOperation.GenerateResource", MPSError.ErrorClass.ambiguous),
        ("FailedOperation.InvalidMpsUser", .final),
        ("InternalError", .ambiguous),
        ("InvalidParameter", .final),
        ("InvalidParameterValue.SessionContextTooLong", .final),
        ("InvalidParameterValue.SessionId", .final),
        ("InvalidParameterValue.SessionIdTooLong", .final),
        // Common codes.
        ("AuthFailure.SignatureExpire", .retryable),
        ("AuthFailure.SignatureFailure", .final),
        ("AuthFailure.SecretIdNotFound", .final),
        ("AuthFailure.InvalidSecretId", .final),
        ("AuthFailure.InvalidAuthorization", .final),
        ("AuthFailure.TokenFailure", .final),
        ("AuthFailure.UnauthorizedOperation", .final),
        ("AuthFailure.MFAFailure", .final),
        ("UnauthorizedOperation", .final),
        ("RequestLimitExceeded", .retryable),
        ("RequestLimitExceeded.UinLimitExceeded", .retryable),
        ("RequestLimitExceeded.GlobalRegionUinLimitExceeded", .retryable),
        ("RequestLimitExceeded.IPLimitExceeded", .retryable),
        ("InternalError.SomethingNew", .ambiguous),
        ("ServiceUnavailable", .ambiguous),
        ("ResourceUnavailable", .ambiguous),
        ("ResourceInsufficient", .retryable),
        ("ResourceInUse", .ambiguous),
        ("LimitExceeded", .retryable),
        ("LimitExceeded.CreateTask", .retryable),
        ("FailedOperation.NetWorkError", .ambiguous),
        ("MissingParameter", .final),
        ("UnknownParameter", .final),
        ("InvalidAction", .final),
        ("NoSuchVersion", .final),
        ("NoSuchProduct", .final),
        ("UnsupportedOperation", .final),
        ("UnsupportedProtocol", .final),
        ("UnsupportedRegion", .final),
        ("RequestSizeLimitExceeded", .final),
        ("InvalidRequest", .final),
        ("ActionOffline", .final),
        ("IpInBlacklist", .final),
        ("IpNotInWhitelist", .final),
        ("DryRunOperation", .final),
        ("FailedOperation", .ambiguous),
        ("ResourceNotFound", .final),
        ("ResponseSizeLimitExceeded", .ambiguous),
        // MPS service codes.
        ("FailedOperation.InvalidUser", .final),
        ("FailedOperation.UserArrears", .final),
        ("ResourceNotFound.UserUnregister", .final),
        ("FailedOperation.CosStatusInavlid", .final),
        ("InvalidParameter.InputInfo", .final),
        ("InvalidParameterValue.InputInfo", .final),
        ("InvalidParameter.InvalidUrl", .final),
        ("InvalidParameter.Url", .final),
        ("InvalidParameter.Output", .final),
        ("InvalidParameterValue.Definition", .final),
        ("ResourceNotFound.TemplateNotExist", .final),
        ("InvalidParameterValue.SubtitleType", .final),
        ("InvalidParameterValue.VideoSrcLanguage", .final),
        ("InvalidParameterValue.SubtitleFormat", .final),
        ("InvalidParameterValue.TranslateSwitch", .final),
        ("InvalidParameterValue.TranslateDstLanguage", .final),
        ("InvalidParameterValue.SubtitleEmbedId", .final),
        ("InvalidParameterValue.AsrHotWordsSwitch", .final),
        ("InvalidParameterValue.AsrHotWordsLibraryId", .final),
        ("InvalidParameterValue.HotWordsNotExist", .final),
        ("ResourceNotFound.CosBucketNameInvalid", .final),
        ("ResourceNotFound.CosBucketNotExist", .final),
        ("ResourceNotFound.DownloadError", .final),
        ("InvalidParameterValue.TaskId", .final),
        ("ResourceNotFound.TaskNotFound", .final),
        ("FailedOperation.TaskNotFound", .final),
    ])
    func everyKnownCodeHasItsClass(code: String, expected: MPSError.ErrorClass) {
        #expect(MPSError.classify(code) == expected)
    }

    /// The seed page's codes are decided one by one, not left to their family's fallback.
    @Test(arguments: [
        "FailedOperation.GenerateResource", "FailedOperation.InvalidMpsUser", "InternalError", "InvalidParameter",
        "InvalidParameterValue.SessionContextTooLong", "InvalidParameterValue.SessionId",
        "InvalidParameterValue.SessionIdTooLong",
    ])
    func everySeedPageCodeHasItsOwnClass(code: String) {
        #expect(MPSError.exactClasses[code] != nil, "\(code) is classified only by its family prefix")
    }

    @Test func aTooLongSessionIdIsADefiniteRefusal() {
        #expect(MPSError.exactClasses["InvalidParameterValue.SessionIdTooLong"] == .final)
        let error = MPSError.api(
            code: "InvalidParameterValue.SessionIdTooLong", message: "SessionId is too long.", action: "BatchProcessMedia", requestId: "r-1"
        )
        #expect(error.errorClass == .final)
    }

    @Test(arguments: ["", "Whatever", "RequestLimitExceededButNotReally", "Internal", "NewFamily.NewCode", "requestlimitexceeded"])
    func unknownCodesAreAmbiguousNeverRetryable(code: String) {
        #expect(MPSError.classify(code) == .ambiguous)
    }
}
