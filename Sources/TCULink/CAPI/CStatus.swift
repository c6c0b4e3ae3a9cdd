import CTCUHAL

// tcu_status (tculink_types.h), the one result of every tculink.h function that can fail:
// TCU_OK, TCU_IN_PROGRESS, TCU_CLOSED, or a failure as the negated reason.

enum CStatus {
    static let ok = Int32(TCU_OK)
    static let inProgress = Int32(TCU_IN_PROGRESS)
    static let closed = Int32(TCU_CLOSED)
    /// A NULL pointer the call needs, or a value it does not take.
    static let invalidArgument = failure(.invalidArgument)

    /// The status that reports `reason`: TCU_STATUS_FROM_REASON.
    static func failure(_ reason: TCULinkError.Reason) -> Int32 { -Int32(reason.rawValue) }

    static func failure(_ error: TCULinkError) -> Int32 { failure(error.reason) }
}
