package keyring_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/trustgate/trustgate/internal/keyring"
)

// testRoot is 0x00, 0x01, …, 0x1f. The known answers below were computed for
// it independently with Python's hmac/hashlib (HKDF per RFC 5869) and the
// cryptography package's AESGCM.
var testRoot = func() []byte {
	b := make([]byte, 32)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}()

// testNonce is 100, 101, …, 111.
var testNonce = func() []byte {
	b := make([]byte, 12)
	for i := range b {
		b[i] = byte(100 + i)
	}
	return b
}()

func mustNew(t *testing.T, root []byte, opts ...keyring.Option) *keyring.Keyring {
	t.Helper()
	k, err := keyring.New(root, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return k
}

func TestNewRejectsShortRoot(t *testing.T) {
	tests := []struct {
		name    string
		rootLen int
		wantErr bool
	}{
		{"empty root", 0, true},
		{"31-byte root", 31, true},
		{"32-byte root", 32, false},
		{"64-byte root", 64, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := keyring.New(make([]byte, tt.rootLen))
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("New(%d bytes) error = %v, want error %v", tt.rootLen, err, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, keyring.ErrRootTooShort) {
				t.Errorf("got error %v, want ErrRootTooShort", err)
			}
		})
	}
}

func TestMACMatchesIndependentHKDFDerivation(t *testing.T) {
	k := mustNew(t, testRoot)
	tests := []struct {
		purpose keyring.Purpose
		want    string
	}{
		{keyring.PurposeCode, "90e6df541551ea21128b466beb76b3d245e9b2676ee25ac611cff18eb8fd1af7"},
		{keyring.PurposeBackupCode, "47cc7de1464a228fc593d84968fb82834a6f0125299982acbf8dedc4d4535e32"},
		{keyring.PurposeToken, "35052c620382bdaa4306702d4aaa87971521e45c72a4dc9e14f7c9af6f03ee75"},
	}
	for _, tt := range tests {
		t.Run(tt.purpose.String(), func(t *testing.T) {
			got := hex.EncodeToString(k.MAC(tt.purpose, []byte("123456")))
			if got != tt.want {
				t.Errorf("MAC(%s, 123456) = %s, want %s", tt.purpose, got, tt.want)
			}
		})
	}
}

func TestMACSeparatesPurposesAndRoots(t *testing.T) {
	other := bytes.Repeat([]byte{0xAB}, 32)
	k1, k2 := mustNew(t, testRoot), mustNew(t, other)
	data := []byte("same input")
	seen := map[string]string{}
	for _, p := range []keyring.Purpose{keyring.PurposeCode, keyring.PurposeBackupCode, keyring.PurposeToken} {
		for name, k := range map[string]*keyring.Keyring{"root1": k1, "root2": k2} {
			m := k.MAC(p, data)
			if len(m) != keyring.MACLen {
				t.Fatalf("len(MAC(%s)) = %d, want %d", p, len(m), keyring.MACLen)
			}
			id := name + "/" + p.String()
			if prev, dup := seen[string(m)]; dup {
				t.Errorf("MAC for %s equals MAC for %s", id, prev)
			}
			seen[string(m)] = id
		}
	}
	if got := k1.MAC(keyring.PurposeCode, data); !bytes.Equal(got, k1.MAC(keyring.PurposeCode, data)) {
		t.Errorf("MAC is not deterministic")
	}
}

func TestMACPanicsOnNonMACPurpose(t *testing.T) {
	k := mustNew(t, testRoot)
	for _, p := range []keyring.Purpose{keyring.PurposeTOTPSecret, keyring.PurposeSigningKey, 0, 200} {
		t.Run(p.String(), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("MAC(%s) did not panic, want panic", p)
				}
			}()
			k.MAC(p, []byte("x"))
		})
	}
}

func TestSealMatchesIndependentAESGCM(t *testing.T) {
	k := mustNew(t, testRoot, keyring.WithRand(bytes.NewReader(append(append([]byte{}, testNonce...), testNonce...))))
	tests := []struct {
		purpose keyring.Purpose
		want    string
	}{
		{keyring.PurposeTOTPSecret, "016465666768696a6b6c6d6e6fd47af73a2d9561eeb40074a2d38a5465a23722cd00955bc527e837732f6538d7"},
		{keyring.PurposeSigningKey, "016465666768696a6b6c6d6e6f8320956d6da5510a2d7473c947ea066860ecf7124d184cb37ec857be59b5a842"},
	}
	for _, tt := range tests {
		t.Run(tt.purpose.String(), func(t *testing.T) {
			got, err := k.Seal(tt.purpose, []byte("JBSWY3DPEHPK3PXP"), []byte("factor:42"))
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != tt.want {
				t.Errorf("Seal = %x, want %s", got, tt.want)
			}
		})
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	k := mustNew(t, testRoot)
	for _, p := range []keyring.Purpose{keyring.PurposeTOTPSecret, keyring.PurposeSigningKey} {
		for _, pt := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("secret"), 1000)} {
			t.Run(fmt.Sprintf("%s/%d bytes", p, len(pt)), func(t *testing.T) {
				sealed, err := k.Seal(p, pt, []byte("row-1"))
				if err != nil {
					t.Fatal(err)
				}
				if got, want := len(sealed), 1+12+len(pt)+16; got != want {
					t.Errorf("len(sealed) = %d, want %d", got, want)
				}
				if sealed[0] != 1 {
					t.Errorf("version byte = %d, want 1", sealed[0])
				}
				got, err := k.Open(p, sealed, []byte("row-1"))
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				if !bytes.Equal(got, pt) {
					t.Errorf("Open = %q, want %q", got, pt)
				}
			})
		}
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	k := mustNew(t, testRoot)
	a, _ := k.Seal(keyring.PurposeTOTPSecret, []byte("same"), nil)
	b, _ := k.Seal(keyring.PurposeTOTPSecret, []byte("same"), nil)
	if bytes.Equal(a[1:13], b[1:13]) {
		t.Errorf("two Seals used the same nonce %x", a[1:13])
	}
	if bytes.Equal(a, b) {
		t.Errorf("two Seals of the same plaintext are identical")
	}
}

func TestSealFailsWhenRandomnessFails(t *testing.T) {
	k := mustNew(t, testRoot, keyring.WithRand(iotest.ErrReader(errors.New("no entropy"))))
	if _, err := k.Seal(keyring.PurposeTOTPSecret, []byte("x"), nil); err == nil {
		t.Errorf("Seal with failing reader: got nil error, want error")
	}
}

func TestOpenRejects(t *testing.T) {
	k := mustNew(t, testRoot)
	otherRoot := mustNew(t, bytes.Repeat([]byte{7}, 32))
	sealed, err := k.Seal(keyring.PurposeTOTPSecret, []byte("totp secret"), []byte("factor:1"))
	if err != nil {
		t.Fatal(err)
	}
	withByte := func(i int, b byte) []byte {
		c := bytes.Clone(sealed)
		c[i] = b
		return c
	}
	tests := []struct {
		name    string
		k       *keyring.Keyring
		purpose keyring.Purpose
		sealed  []byte
		aad     string
		want    error
	}{
		{"wrong additional data", k, keyring.PurposeTOTPSecret, sealed, "factor:2", keyring.ErrOpen},
		{"missing additional data", k, keyring.PurposeTOTPSecret, sealed, "", keyring.ErrOpen},
		{"wrong sealing purpose", k, keyring.PurposeSigningKey, sealed, "factor:1", keyring.ErrOpen},
		{"MAC purpose", k, keyring.PurposeCode, sealed, "factor:1", keyring.ErrPurposeKind},
		{"different root", otherRoot, keyring.PurposeTOTPSecret, sealed, "factor:1", keyring.ErrOpen},
		{"flipped nonce bit", k, keyring.PurposeTOTPSecret, withByte(5, sealed[5]^1), "factor:1", keyring.ErrOpen},
		{"flipped ciphertext bit", k, keyring.PurposeTOTPSecret, withByte(14, sealed[14]^0x80), "factor:1", keyring.ErrOpen},
		{"flipped tag bit", k, keyring.PurposeTOTPSecret, withByte(len(sealed)-1, sealed[len(sealed)-1]^1), "factor:1", keyring.ErrOpen},
		{"unknown version", k, keyring.PurposeTOTPSecret, withByte(0, 2), "factor:1", keyring.ErrSealedFormat},
		{"truncated tag", k, keyring.PurposeTOTPSecret, sealed[:len(sealed)-1], "factor:1", keyring.ErrOpen},
		{"shorter than header and tag", k, keyring.PurposeTOTPSecret, sealed[:28], "factor:1", keyring.ErrSealedFormat},
		{"empty", k, keyring.PurposeTOTPSecret, nil, "factor:1", keyring.ErrSealedFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.k.Open(tt.purpose, tt.sealed, []byte(tt.aad))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open error = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Errorf("Open returned plaintext %q alongside an error", got)
			}
		})
	}
}

func TestOpenDetectsEveryFlippedByte(t *testing.T) {
	k := mustNew(t, testRoot)
	sealed, _ := k.Seal(keyring.PurposeSigningKey, []byte("ed25519 private key bytes"), []byte("kid-1"))
	for i := range sealed {
		c := bytes.Clone(sealed)
		c[i] ^= 0x01
		if _, err := k.Open(keyring.PurposeSigningKey, c, []byte("kid-1")); err == nil {
			t.Errorf("Open accepted a message with byte %d flipped", i)
		}
	}
}

func TestSealRejectsMACPurpose(t *testing.T) {
	k := mustNew(t, testRoot)
	for _, p := range []keyring.Purpose{keyring.PurposeCode, keyring.PurposeBackupCode, keyring.PurposeToken, 0, 99} {
		if _, err := k.Seal(p, []byte("x"), nil); !errors.Is(err, keyring.ErrPurposeKind) {
			t.Errorf("Seal(%s) error = %v, want ErrPurposeKind", p, err)
		}
	}
}

func TestKeyringNeverPrintsKeyMaterial(t *testing.T) {
	k := mustNew(t, testRoot)
	macKey := k.MAC(keyring.PurposeCode, nil) // not a key, but derived material that must not leak either
	secrets := []string{
		string(testRoot),
		hex.EncodeToString(testRoot),
		base64.StdEncoding.EncodeToString(testRoot),
		keyring.EncodeRoot(testRoot),
		fmt.Sprint(testRoot),
		hex.EncodeToString(macKey),
	}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("boot", "keyring", k, "keyringValue", *k)
	var textBuf bytes.Buffer
	slog.New(slog.NewTextHandler(&textBuf, nil)).Info("boot", "keyring", k)
	//lint:ignore SA9005 marshalling a type without exported fields is the point: nothing may leak.
	jsonOut, _ := json.Marshal(k)
	outputs := map[string]string{
		"%v":          fmt.Sprintf("%v", k),
		"%+v":         fmt.Sprintf("%+v", k),
		"%#v":         fmt.Sprintf("%#v", k),
		"%s":          k.String(),
		"%x":          fmt.Sprintf("%x", k),
		"%v value":    fmt.Sprintf("%v", *k),
		"%+v value":   fmt.Sprintf("%+v", *k),
		"%#v value":   fmt.Sprintf("%#v", *k),
		"slog json":   logBuf.String(),
		"slog text":   textBuf.String(),
		"json":        string(jsonOut),
		"in a struct": fmt.Sprintf("%+v", struct{ K *keyring.Keyring }{k}),
	}
	for name, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s output %q contains key material", name, out)
			}
		}
		if name != "%x" && name != "json" && name != "in a struct" && !strings.Contains(out, "REDACTED") {
			t.Errorf("%s output = %q, want it to say REDACTED", name, out)
		}
	}
}

func TestGenerateRoot(t *testing.T) {
	t.Run("reads 32 bytes from the reader", func(t *testing.T) {
		src := bytes.NewReader(bytes.Repeat([]byte{9}, 40))
		got, err := keyring.GenerateRoot(src)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, bytes.Repeat([]byte{9}, 32)) {
			t.Errorf("GenerateRoot = %x, want 32 bytes of 09", got)
		}
		if src.Len() != 8 {
			t.Errorf("GenerateRoot consumed %d bytes, want 32", 40-src.Len())
		}
	})
	t.Run("fails on a short reader", func(t *testing.T) {
		if _, err := keyring.GenerateRoot(bytes.NewReader(make([]byte, 31))); err == nil {
			t.Errorf("GenerateRoot(31-byte reader): got nil error, want error")
		}
	})
	t.Run("its output is accepted by New", func(t *testing.T) {
		root, _ := keyring.GenerateRoot(bytes.NewReader(make([]byte, 32)))
		if _, err := keyring.New(root); err != nil {
			t.Errorf("New(GenerateRoot()) error = %v", err)
		}
	})
}

func TestEncodeDecodeRoot(t *testing.T) {
	enc := keyring.EncodeRoot(testRoot)
	if want := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"; enc != want {
		t.Fatalf("EncodeRoot = %q, want %q", enc, want)
	}
	long := keyring.EncodeRoot(bytes.Repeat([]byte{0xfb, 0xff}, 24)) // exercises - and _
	tests := []struct {
		name    string
		in      string
		want    []byte
		wantErr error
	}{
		{"round trip", enc, testRoot, nil},
		{"surrounding whitespace and newline", "  " + enc + "\n", testRoot, nil},
		{"url-safe alphabet", long, bytes.Repeat([]byte{0xfb, 0xff}, 24), nil},
		{"empty", "", nil, keyring.ErrRootEncoding},
		{"only whitespace", " \n", nil, keyring.ErrRootEncoding},
		{"padding", enc + "=", nil, keyring.ErrRootEncoding},
		{"standard alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(long), nil, keyring.ErrRootEncoding},
		{"inner space", enc[:10] + " " + enc[10:], nil, keyring.ErrRootEncoding},
		{"non-canonical trailing bits", enc[:len(enc)-1] + "f", nil, keyring.ErrRootEncoding},
		{"too short", keyring.EncodeRoot(make([]byte, 31)), nil, keyring.ErrRootTooShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := keyring.DecodeRoot(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("DecodeRoot(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("DecodeRoot(%q) = %x, want %x", tt.in, got, tt.want)
			}
			if err != nil && len(strings.TrimSpace(tt.in)) > 4 && strings.Contains(err.Error(), strings.TrimSpace(tt.in)) {
				t.Errorf("error %q quotes the secret input", err)
			}
		})
	}
}
