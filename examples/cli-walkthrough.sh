#!/usr/bin/env bash
# A walk-through of the `keystead` command line: the `aws kms` commands against a local store.
#
# Usage: bash examples/cli-walkthrough.sh [path/to/keystead]   (`make demo` runs it)
set -euo pipefail

KEYSTEAD=${1:-target/release/keystead}
if [[ ! -x "$KEYSTEAD" ]]; then
    echo "keystead binary not found at $KEYSTEAD (build it with: cargo build --release -p keystead-cli)" >&2
    exit 1
fi
KEYSTEAD=$(cd "$(dirname "$KEYSTEAD")" && pwd)/$(basename "$KEYSTEAD")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/keystead-demo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
export KEYSTEAD_STORE="$WORK/store"

ks() { "$KEYSTEAD" "$@"; }
heading() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ keystead %s\n' "$*"; ks "$@"; }

# Runs a command that must fail with the given AWS exception; shows the error line.
expect_failure() {
    local exception=$1
    shift
    printf '$ keystead %s\n' "$*"
    local status=0 stderr
    stderr=$(ks "$@" 2>&1 >/dev/null) || status=$?
    printf '%s\n' "${stderr#$'\n'}"
    if [[ $status -ne 254 || $stderr != *"($exception)"* ]]; then
        echo "expected $exception (exit 254), got exit $status" >&2
        exit 1
    fi
    echo "(failed as expected with $exception, exit status $status)"
}

heading "1. Create a store (KEYSTEAD_STORE=$KEYSTEAD_STORE)"
show init --region eu-west-1 --account-id 123456789012

heading "2. Create a key with a description and tags"
KEY_ID=$(ks create-key --description "Customer records" \
    --tags TagKey=team,TagValue=payments TagKey=env,TagValue=demo \
    --output text --query KeyMetadata.KeyId)
echo "KeyId: $KEY_ID"
show describe-key --key-id "$KEY_ID"
show list-resource-tags --key-id "$KEY_ID"

heading "3. Give it an alias"
show create-alias --alias-name alias/orders --target-key-id "$KEY_ID"
show describe-key --key-id alias/orders --query KeyMetadata.Description

heading "4. Encrypt a customer record, bound to an encryption context"
RECORD='{"customer":"Ada Lovelace","card":"4111 1111 1111 1111"}'
printf '%s' "$RECORD" >"$WORK/record.json"
echo "Record: $RECORD"
CONTEXT="customer=ada,purpose=billing"
CIPHERTEXT=$(ks encrypt --key-id alias/orders --plaintext "fileb://$WORK/record.json" \
    --encryption-context "$CONTEXT" --output text --query CiphertextBlob)
echo "CiphertextBlob: ${CIPHERTEXT:0:60}..."

heading "5. Decrypt it back"
DECRYPTED=$(ks decrypt --ciphertext-blob "$CIPHERTEXT" --encryption-context "$CONTEXT" \
    --output text --query Plaintext | base64 --decode)
echo "Decrypted: $DECRYPTED"
if [[ "$DECRYPTED" == "$RECORD" ]]; then
    echo "The decrypted record matches the original."
else
    echo "MISMATCH" >&2
    exit 1
fi

heading "6. Decrypt with the wrong encryption context fails"
expect_failure InvalidCiphertextException \
    decrypt --ciphertext-blob "$CIPHERTEXT" --encryption-context customer=mallory,purpose=billing

heading "7. Envelope encryption: generate a data key"
ks generate-data-key --key-id alias/orders --key-spec AES_256 --encryption-context "$CONTEXT" >"$WORK/datakey.json"
DATA_KEY_BYTES=$(sed -n 's/.*"Plaintext": "\([^"]*\)".*/\1/p' "$WORK/datakey.json" | base64 --decode | wc -c)
echo "Got a ${DATA_KEY_BYTES// /}-byte plaintext data key (use it locally, then forget it) and its encrypted copy:"
grep -E '"(CiphertextBlob|KeyId|KeyMaterialId)"' "$WORK/datakey.json" | cut -c1-100
echo "Without plaintext (store the encrypted copy, decrypt it later):"
ks generate-data-key-without-plaintext --key-id alias/orders --number-of-bytes 32 --query KeyId

heading "8. Key rotation: enable, rotate on demand, list rotations"
show enable-key-rotation --key-id "$KEY_ID" --rotation-period-in-days 180
show get-key-rotation-status --key-id "$KEY_ID"
show rotate-key-on-demand --key-id "$KEY_ID"
show list-key-rotations --key-id "$KEY_ID"
echo "The old ciphertext still decrypts after rotation:"
ks decrypt --ciphertext-blob "$CIPHERTEXT" --encryption-context "$CONTEXT" --query KeyMaterialId

heading "9. Re-encrypt under a second key and a new context"
ARCHIVE_ID=$(ks create-key --description "Archive" --output text --query KeyMetadata.KeyId)
REENCRYPTED=$(ks re-encrypt --ciphertext-blob "$CIPHERTEXT" --source-encryption-context "$CONTEXT" \
    --destination-key-id "$ARCHIVE_ID" --destination-encryption-context customer=ada,purpose=archive \
    --output text --query CiphertextBlob)
echo "Re-encrypted under $ARCHIVE_ID"
ks decrypt --ciphertext-blob "$REENCRYPTED" --encryption-context customer=ada,purpose=archive \
    --output text --query Plaintext | base64 --decode
echo

heading "10. A disabled key cannot be used"
show disable-key --key-id "$KEY_ID"
expect_failure DisabledException \
    encrypt --key-id "$KEY_ID" --plaintext "$(printf 'hello' | base64)"
show enable-key --key-id "$KEY_ID"
ks describe-key --key-id "$KEY_ID" --output text --query KeyMetadata.KeyState

heading "11. Schedule the archive key's deletion, then cancel it"
show schedule-key-deletion --key-id "$ARCHIVE_ID" --pending-window-in-days 7
show cancel-key-deletion --key-id "$ARCHIVE_ID"
echo "State after cancelling: $(ks describe-key --key-id "$ARCHIVE_ID" --output text --query KeyMetadata.KeyState)"

heading "12. Sign an order with an asymmetric key, verify it, reject a tampered signature"
SIGNER_ID=$(ks create-key --key-spec ECC_NIST_P256 --key-usage SIGN_VERIFY --description "Order signing" \
    --output text --query KeyMetadata.KeyId)
echo "Signing key: $SIGNER_ID ($(ks get-public-key --key-id "$SIGNER_ID" --output text --query KeySpec))"
ORDER='{"order":42,"customer":"ada","total":"99.90 EUR"}'
printf '%s' "$ORDER" >"$WORK/order.json"
echo "Order: $ORDER"
# Sign the order's SHA-256 digest (MessageType DIGEST): large documents never leave the machine.
sha256_hex() { if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -c1-64; }
printf '%b' "$(sha256_hex "$WORK/order.json" | sed 's/../\\x&/g')" >"$WORK/order.sha256"
SIGNATURE=$(ks sign --key-id "$SIGNER_ID" --message "fileb://$WORK/order.sha256" --message-type DIGEST \
    --signing-algorithm ECDSA_SHA_256 --output text --query Signature)
echo "Signature (DER ECDSA, base64): ${SIGNATURE:0:60}..."
show verify --key-id "$SIGNER_ID" --message "fileb://$WORK/order.sha256" --message-type DIGEST \
    --signature "$SIGNATURE" --signing-algorithm ECDSA_SHA_256
echo "The same signature verifies against the whole order sent as a RAW message (hashed by keystead):"
ks verify --key-id "$SIGNER_ID" --message "fileb://$WORK/order.json" --signature "$SIGNATURE" \
    --signing-algorithm ECDSA_SHA_256 --output text --query SignatureValid
echo "The public key (base64 DER) lets anyone verify offline, e.g. with openssl:"
ks get-public-key --key-id "$SIGNER_ID" --output text --query PublicKey
# Flip one bit in the last byte of the signature.
printf '%s' "$SIGNATURE" | base64 --decode >"$WORK/order.sig"
SIG_LEN=$(wc -c <"$WORK/order.sig")
LAST=$(tail -c 1 "$WORK/order.sig" | od -An -tu1 | tr -d ' ')
dd if="$WORK/order.sig" of="$WORK/tampered.sig" bs=1 count=$((SIG_LEN - 1)) 2>/dev/null
printf "\\x$(printf %02x $((LAST ^ 1)))" >>"$WORK/tampered.sig"
echo "A signature with one bit flipped is rejected:"
expect_failure KMSInvalidSignatureException \
    verify --key-id "$SIGNER_ID" --message "fileb://$WORK/order.sha256" --message-type DIGEST \
    --signature "fileb://$WORK/tampered.sig" --signing-algorithm ECDSA_SHA_256

heading "13. Bring your own key material (BYOK), wrapped with openssl as AWS documents it"
if command -v openssl >/dev/null; then
    BYOK_ID=$(ks create-key --origin EXTERNAL --description "Imported" --output text --query KeyMetadata.KeyId)
    echo "EXTERNAL key $BYOK_ID is $(ks describe-key --key-id "$BYOK_ID" --output text --query KeyMetadata.KeyState)"
    ks get-parameters-for-import --key-id "$BYOK_ID" --wrapping-algorithm RSAES_OAEP_SHA_256 \
        --wrapping-key-spec RSA_2048 >"$WORK/params.json"
    grep -E '"(KeyId|ParametersValidTo)"' "$WORK/params.json"
    sed -n 's/.*"PublicKey": "\([^"]*\)".*/\1/p' "$WORK/params.json" | base64 --decode >"$WORK/wrapping.der"
    sed -n 's/.*"ImportToken": "\([^"]*\)".*/\1/p' "$WORK/params.json" | base64 --decode >"$WORK/token.bin"
    openssl rand -out "$WORK/material.bin" 32
    openssl pkeyutl -encrypt -pubin -keyform DER -inkey "$WORK/wrapping.der" -in "$WORK/material.bin" \
        -out "$WORK/wrapped.bin" -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 \
        -pkeyopt rsa_mgf1_md:sha256
    show import-key-material --key-id "$BYOK_ID" --import-token "fileb://$WORK/token.bin" \
        --encrypted-key-material "fileb://$WORK/wrapped.bin" --expiration-model KEY_MATERIAL_DOES_NOT_EXPIRE
    BYOK_BLOB=$(ks encrypt --key-id "$BYOK_ID" --plaintext "$(printf 'imported' | base64)" \
        --output text --query CiphertextBlob)
    show delete-imported-key-material --key-id "$BYOK_ID"
    expect_failure KMSInvalidStateException decrypt --ciphertext-blob "$BYOK_BLOB"
    echo "Importing the same material again brings the key (and its old ciphertexts) back:"
    ks get-parameters-for-import --key-id "$BYOK_ID" --wrapping-algorithm RSAES_OAEP_SHA_256 \
        --wrapping-key-spec RSA_2048 >"$WORK/params.json"
    sed -n 's/.*"PublicKey": "\([^"]*\)".*/\1/p' "$WORK/params.json" | base64 --decode >"$WORK/wrapping.der"
    sed -n 's/.*"ImportToken": "\([^"]*\)".*/\1/p' "$WORK/params.json" | base64 --decode >"$WORK/token.bin"
    openssl pkeyutl -encrypt -pubin -keyform DER -inkey "$WORK/wrapping.der" -in "$WORK/material.bin" \
        -out "$WORK/wrapped.bin" -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 \
        -pkeyopt rsa_mgf1_md:sha256
    ks import-key-material --key-id "$BYOK_ID" --import-token "fileb://$WORK/token.bin" \
        --encrypted-key-material "fileb://$WORK/wrapped.bin" --expiration-model KEY_MATERIAL_EXPIRES \
        --valid-to "$(($(date +%s) + 30 * 86400))" --output text --query KeyMaterialId
    ks decrypt --ciphertext-blob "$BYOK_BLOB" --output text --query Plaintext | base64 --decode
    echo
else
    echo "(skipped: the openssl tool is not installed)"
fi

heading "14. Access keys for a Keystead server (the secret is shown once)"
ks access-key create --principal arn:aws:iam::123456789012:role/checkout --query AccessKey.AccessKeyId
echo "An existing key pair is added with its secret read from an environment variable, never from argv:"
DEMO_SECRET=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY show access-key add --access-key-id AKIAIOSFODNN7EXAMPLE \
    --secret-access-key-env DEMO_SECRET --principal arn:aws:iam::123456789012:user/ada
show access-key list
show access-key delete --access-key-id AKIAIOSFODNN7EXAMPLE

heading "15. List keys and aliases"
show list-keys
show list-aliases

heading "Done"
echo "All steps behaved as expected."
