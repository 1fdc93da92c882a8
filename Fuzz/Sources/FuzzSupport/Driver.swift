import Glibc

/// libFuzzer's entry point when the program has its own `main` (SwiftPM links executables
/// with their own `main`, which hides libFuzzer's).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Hands the process to libFuzzer, which calls `callback` with each input, and exits with its status.
public func runFuzzer(_ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, callback))
}

/// The input as an array (libFuzzer passes nil for the empty input).
public func bytes(_ data: UnsafePointer<UInt8>?, _ count: Int) -> [UInt8] {
    guard let data, count > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: count))
}

/// A broken property: says which, and aborts, so libFuzzer saves the input as a crash.
public func violated(_ property: String, _ detail: @autoclosure () -> String = "") -> Never {
    let detailText = detail()
    let line = "FUZZ PROPERTY VIOLATED: \(property)" + (detailText.isEmpty ? "" : " (\(detailText))") + "\n"
    _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    abort()
}
