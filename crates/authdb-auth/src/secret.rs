use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::{AuthError, Result};

/// A new random secret: `bytes` bytes from the OS generator, base64url without padding.
pub fn generate_secret(bytes: usize) -> Result<String> {
    let mut buffer = vec![0_u8; bytes];
    getrandom::fill(&mut buffer).map_err(AuthError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(buffer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_url_safe() {
        let first = generate_secret(48).expect("rng works");
        let second = generate_secret(48).expect("rng works");
        assert_eq!(first.len(), 64);
        assert_ne!(first, second);
        assert!(first.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }
}
