/// `withUnsafeBytes` for bodies that throw `TCULinkError`: the standard library's rethrows an
/// untyped error, which the core's typed throws (and Embedded Swift) do not take.
extension Array where Element == UInt8 {
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(TCULinkError) -> R) throws(TCULinkError) -> R {
        var result: Result<R, TCULinkError>?
        withUnsafeBytes { raw in
            do throws(TCULinkError) { result = .success(try body(raw)) } catch { result = .failure(error) }
        }
        return try result!.get()
    }

    mutating func withMutableBytes<R>(
        _ body: (UnsafeMutableRawBufferPointer) throws(TCULinkError) -> R
    ) throws(TCULinkError) -> R {
        var result: Result<R, TCULinkError>?
        withUnsafeMutableBytes { raw in
            do throws(TCULinkError) { result = .success(try body(raw)) } catch { result = .failure(error) }
        }
        return try result!.get()
    }
}
