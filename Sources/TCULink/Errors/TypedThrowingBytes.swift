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

extension String {
    /// The string's UTF-8 bytes in place (made contiguous first, which a native string already is),
    /// for a body that throws `TCULinkError`: byte-level code then has one form, not one per type.
    func withUTF8Bytes<R>(_ body: (UnsafeRawBufferPointer) throws(TCULinkError) -> R) throws(TCULinkError) -> R {
        var string = self
        var result: Result<R, TCULinkError>?
        string.withUTF8 { utf8 in
            do throws(TCULinkError) {
                result = .success(try body(UnsafeRawBufferPointer(utf8)))
            } catch {
                result = .failure(error)
            }
        }
        return try result!.get()
    }
}
