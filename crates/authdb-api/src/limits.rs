/// The largest request body accepted, in bytes. Bodies are counted as sent: a compressed
/// one is refused (`crate::encoding`), never inflated past this.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
