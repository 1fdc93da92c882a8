/// Calls `body` with the bytes of `data` as one contiguous buffer, copying only when the sequence
/// has no contiguous storage of its own.
///
/// The buffer's base address is never nil, even when it is empty: OpenSSL treats a NULL key or
/// message differently from an empty one in places, so an empty input is passed as a valid pointer
/// with a count of zero.
@inline(__always)
func withContiguousBytes<R>(
    _ data: some Sequence<UInt8>,
    _ body: (UnsafePointer<UInt8>, Int) -> R
) -> R {
    let direct = data.withContiguousStorageIfAvailable { buffer in
        withNonNilBase(buffer, body)
    }
    if let direct { return direct }
    return Array(data).withUnsafeBufferPointer { buffer in
        withNonNilBase(buffer, body)
    }
}

@inline(__always)
private func withNonNilBase<R>(
    _ buffer: UnsafeBufferPointer<UInt8>,
    _ body: (UnsafePointer<UInt8>, Int) -> R
) -> R {
    if let base = buffer.baseAddress {
        return body(base, buffer.count)
    }
    var placeholder: UInt8 = 0
    return withUnsafePointer(to: &placeholder) { body($0, 0) }
}
