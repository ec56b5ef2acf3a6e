//! Creator signatures (arweave-indexing.md §5.3): RSA-PSS with SHA-256 and MGF1-SHA-256 over the
//! UTF-8 message, any salt length (Node signs with the longest, the check must detect it), the
//! key being a JWK modulus `n` with exponent 65537.
//!
//! Owns: decoding keys and signatures and checking them; the Arweave address of a key. Must not:
//! decide which message a kind signs (that is `cycle`). Input: base64url modulus, message bytes,
//! standard-base64 signature; output: valid or not.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rsa::pss::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::BoxedUint;
use sha2::{Digest, Sha256};

/// A creator's public key, decoded once and reused for every signature of that creator.
#[derive(Debug, Clone)]
pub struct PublicKey(VerifyingKey<Sha256>);

/// Why a key or signature cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The modulus is not base64url or not an RSA modulus of a supported size.
    #[error("public key is not a usable RSA modulus: {0}")]
    Key(String),
    /// The signature is not standard base64.
    #[error("CreatorSig is not base64")]
    Encoding,
    /// The signature does not match the message.
    #[error("signature does not match")]
    Mismatch,
}

impl PublicKey {
    /// The key whose modulus is `n` (base64url, no padding, as in an Arweave JWK).
    pub fn from_modulus(n: &str) -> Result<PublicKey, VerifyError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(n.trim_end_matches('='))
            .map_err(|e| VerifyError::Key(e.to_string()))?;
        let bits =
            u32::try_from(bytes.len() * 8).map_err(|_| VerifyError::Key("too long".into()))?;
        let modulus = BoxedUint::from_be_slice(&bytes, bits)
            .map_err(|e| VerifyError::Key(format!("{e:?}")))?;
        let key = rsa::PublicKey::new(modulus, BoxedUint::from(65_537u32))
            .map_err(|e| VerifyError::Key(e.to_string()))?;
        Ok(PublicKey(VerifyingKey::new_with_auto_salt_len(key)))
    }

    /// Checks `signature` (standard base64, spaces already turned into `+`) over `message`.
    pub fn verify(&self, message: &[u8], signature: &str) -> Result<(), VerifyError> {
        let bytes = STANDARD
            .decode(signature.trim())
            .map_err(|_| VerifyError::Encoding)?;
        let signature = Signature::try_from(bytes.as_slice()).map_err(|_| VerifyError::Mismatch)?;
        self.0
            .verify(message, &signature)
            .map_err(|_| VerifyError::Mismatch)
    }
}

/// The Arweave address of the modulus `n`: base64url(SHA-256(n bytes)); `None` if `n` is not
/// base64url.
pub fn address_of(n: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(n.trim_end_matches('=')).ok()?;
    Some(URL_SAFE_NO_PAD.encode(Sha256::digest(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pss::SigningKey;
    use rsa::signature::{RandomizedSigner, SignatureEncoding};
    use rsa::traits::PublicKeyParts;

    /// splitmix64: a seeded generator for test keys and salts (not for real keys).
    struct TestRng(u64);

    impl rsa::rand_core::TryRng for TestRng {
        type Error = std::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(self.try_next_u64()? as u32)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            Ok(z ^ (z >> 31))
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            for chunk in dst.chunks_mut(8) {
                let v = self.try_next_u64()?.to_le_bytes();
                chunk.copy_from_slice(&v[..chunk.len()]);
            }
            Ok(())
        }
    }

    impl rsa::rand_core::TryCryptoRng for TestRng {}

    #[test]
    fn accepts_any_salt_length_and_refuses_tampering() {
        let mut rng = TestRng(7);
        let private = rsa::PrivateKey::new(&mut rng, 2048).unwrap();
        let n = URL_SAFE_NO_PAD.encode(private.n().to_be_bytes());
        let key = PublicKey::from_modulus(&n).unwrap();
        // Node's default (maximum) salt, the digest-length salt and none all verify.
        for salt in [2048 / 8 - 32 - 2, 32, 0] {
            let signer = SigningKey::<Sha256>::new_with_salt_len(private.clone(), salt);
            let sig = STANDARD.encode(signer.sign_with_rng(&mut rng, b"message").to_bytes());
            assert_eq!(key.verify(b"message", &sig), Ok(()), "salt {salt}");
            assert_eq!(key.verify(b"messagf", &sig), Err(VerifyError::Mismatch));
        }
        assert_eq!(key.verify(b"m", "***"), Err(VerifyError::Encoding));
        assert!(PublicKey::from_modulus("!!").is_err());
        assert_eq!(address_of(&n).unwrap().len(), 43);
    }
}
