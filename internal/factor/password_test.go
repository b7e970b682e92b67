package factor_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/trustgate/trustgate/internal/factor"
)

// fastParams keep tests quick; they are valid but far below production cost.
var fastParams = factor.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func newHasher(t testing.TB, cfg factor.HasherConfig) *factor.Hasher {
	t.Helper()
	h, err := factor.NewHasher(cfg)
	if err != nil {
		t.Fatalf("NewHasher: %v", err)
	}
	return h
}

// Known-answer hashes made by other implementations.
var foreignHashes = []struct {
	name     string
	hash     string
	password string
}{
	// phc-winner-argon2 src/test.c, password "password", salt "somesalt".
	{"argon2id reference m=65536 t=2 p=1", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", "password"},
	{"argon2id reference m=256 t=2 p=2", "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc", "password"},
	{"argon2id reference differentpassword", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$C4TWUs9rDEvq7w3+J4umqA32aWKB1+DSiRuBfYxFj94", "differentpassword"},
	// pyca/bcrypt tests/test_bcrypt.py.
	{"bcrypt $2b$ cost 4", "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", "Kk4DQuMMfZL9o"},
	{"bcrypt $2a$ cost 8", "$2a$08$aTsUwsyowQuzRrDqFflhgekJ8d9/7Z3GV3UcgvzQW3J5zMyrTvlz.", "abcdefghijklmnopqrstuvwxyz"},
	// PHP manual, password_verify example.
	{"bcrypt $2y$ cost 10", "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a", "rasmuslerdorf"},
}

func TestVerifyAcceptsHashesFromOtherImplementations(t *testing.T) {
	h := newHasher(t, factor.HasherConfig{})
	ctx := context.Background()
	for _, tt := range foreignHashes {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(ctx, tt.hash, tt.password)
			if err != nil || !ok {
				t.Fatalf("Verify(right password) = %v, %v, %v; want true, _, nil", ok, rehash, err)
			}
			// Every one of these is weaker than the defaults in some
			// dimension (8-byte salt, or bcrypt), so it must be upgraded.
			if !rehash {
				t.Errorf("needsRehash = false, want true")
			}
			ok, rehash, err = h.Verify(ctx, tt.hash, tt.password+"x")
			if err != nil || ok || rehash {
				t.Errorf("Verify(wrong password) = %v, %v, %v; want false, false, nil", ok, rehash, err)
			}
			if err := factor.ParseImportedHash(tt.hash); err != nil {
				t.Errorf("ParseImportedHash = %v, want nil", err)
			}
		})
	}
}

func TestHashWritesPHCString(t *testing.T) {
	// NewHasher reads 16+32 bytes for its dummy hash, then Hash reads a salt.
	seed := append(bytes.Repeat([]byte{0}, 48), []byte("0123456789abcdef")...)
	h := newHasher(t, factor.HasherConfig{Params: fastParams, Rand: bytes.NewReader(seed)})
	got, err := h.Hash(context.Background(), "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	wantPrefix := "$argon2id$v=19$m=64,t=1,p=1$" + base64.RawStdEncoding.EncodeToString([]byte("0123456789abcdef")) + "$"
	if !strings.HasPrefix(got, wantPrefix) {
		t.Errorf("Hash = %q, want prefix %q", got, wantPrefix)
	}
	if !regexp.MustCompile(`\$[A-Za-z0-9+/]{43}$`).MatchString(got) {
		t.Errorf("Hash = %q, want a 32-byte hash in unpadded standard base64 at the end", got)
	}
}

func TestHashDefaultsToOWASPParams(t *testing.T) {
	want := factor.Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
	if got := factor.DefaultParams(); got != want {
		t.Errorf("DefaultParams() = %+v, want %+v", got, want)
	}
	h := newHasher(t, factor.HasherConfig{})
	phc, err := h.Hash(context.Background(), "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`).MatchString(phc) {
		t.Errorf("Hash = %q, want $argon2id$v=19$m=19456,t=2,p=1$<22 chars>$<43 chars>", phc)
	}
}

func TestHashUsesFreshSalt(t *testing.T) {
	h := newHasher(t, factor.HasherConfig{Params: fastParams})
	a, _ := h.Hash(context.Background(), "same password")
	b, _ := h.Hash(context.Background(), "same password")
	if a == b {
		t.Errorf("two hashes of the same password are identical: %q", a)
	}
}

func TestHashFailsWhenRandomnessFails(t *testing.T) {
	seed := bytes.NewReader(make([]byte, 48)) // enough for the dummy hash only
	h := newHasher(t, factor.HasherConfig{Params: fastParams, Rand: seed})
	if _, err := h.Hash(context.Background(), "password"); err == nil {
		t.Errorf("Hash with exhausted entropy: got nil error, want error")
	}
	if _, err := factor.NewHasher(factor.HasherConfig{Rand: iotest.ErrReader(errors.New("no entropy"))}); err == nil {
		t.Errorf("NewHasher with failing entropy: got nil error, want error")
	}
}

func TestVerifyRoundTripAndRehash(t *testing.T) {
	ctx := context.Background()
	target := newHasher(t, factor.HasherConfig{Params: factor.Params{Memory: 128, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}})
	tests := []struct {
		name       string
		params     factor.Params
		wantRehash bool
	}{
		{"same params", factor.Params{Memory: 128, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, false},
		{"more memory and passes", factor.Params{Memory: 256, Time: 3, Threads: 1, SaltLen: 16, KeyLen: 32}, false},
		{"more threads", factor.Params{Memory: 128, Time: 2, Threads: 2, SaltLen: 16, KeyLen: 32}, false},
		{"less memory", factor.Params{Memory: 64, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"fewer passes", factor.Params{Memory: 128, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, true},
		{"longer salt but shorter hash", factor.Params{Memory: 128, Time: 2, Threads: 1, SaltLen: 32, KeyLen: 16}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			maker := newHasher(t, factor.HasherConfig{Params: tt.params})
			phc, err := maker.Hash(ctx, "hunter2hunter2")
			if err != nil {
				t.Fatal(err)
			}
			ok, rehash, err := target.Verify(ctx, phc, "hunter2hunter2")
			if err != nil || !ok {
				t.Fatalf("Verify = %v, _, %v; want true, nil", ok, err)
			}
			if rehash != tt.wantRehash {
				t.Errorf("needsRehash = %v, want %v", rehash, tt.wantRehash)
			}
			if ok, rehash, _ := target.Verify(ctx, phc, "hunter2hunter3"); ok || rehash {
				t.Errorf("Verify(wrong password) = %v, %v; want false, false", ok, rehash)
			}
		})
	}
}

func TestWeakerDefaultHashIsUpgradedOnLogin(t *testing.T) {
	ctx := context.Background()
	old := newHasher(t, factor.HasherConfig{Params: factor.Params{Memory: 4096, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	phc, _ := old.Hash(ctx, "long enough password")
	h := newHasher(t, factor.HasherConfig{})
	ok, rehash, err := h.Verify(ctx, phc, "long enough password")
	if err != nil || !ok || !rehash {
		t.Fatalf("Verify(old hash) = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
	upgraded, _ := h.Hash(ctx, "long enough password")
	ok, rehash, err = h.Verify(ctx, upgraded, "long enough password")
	if err != nil || !ok || rehash {
		t.Errorf("Verify(upgraded hash) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

func TestBcryptUpgradePath(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, factor.HasherConfig{Params: fastParams})
	legacy, err := bcrypt.GenerateFromPassword([]byte("imported password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := factor.ParseImportedHash(string(legacy)); err != nil {
		t.Fatalf("ParseImportedHash(bcrypt) = %v, want nil", err)
	}
	ok, rehash, err := h.Verify(ctx, string(legacy), "imported password")
	if err != nil || !ok || !rehash {
		t.Fatalf("Verify(bcrypt, right) = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
	upgraded, err := h.Hash(ctx, "imported password")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(upgraded, "$argon2id$") {
		t.Errorf("upgraded hash = %q, want argon2id", upgraded)
	}
	ok, rehash, err = h.Verify(ctx, upgraded, "imported password")
	if err != nil || !ok || rehash {
		t.Errorf("Verify(upgraded) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	ok, rehash, err = h.Verify(ctx, string(legacy), "imported passworD")
	if err != nil || ok || rehash {
		t.Errorf("Verify(bcrypt, wrong) = %v, %v, %v; want false, false, nil", ok, rehash, err)
	}
}

// TestBcryptDoesNotTruncate: bcrypt reads the first 72 bytes of a password,
// and x/crypto's comparison ignores the rest instead of refusing it, so any
// suffix verified against an imported bcrypt hash, and the upgrade that
// follows stored the argon2id hash of what was typed, locking the real
// password out. Truncation is not done (NIST SP 800-63B 5.1.1.2): a longer
// password matches no bcrypt hash.
func TestBcryptDoesNotTruncate(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, factor.HasherConfig{Params: fastParams})
	pw72 := strings.Repeat("correct horse battery staple ", 3)[:72]
	legacy, err := bcrypt.GenerateFromPassword([]byte(pw72), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if ok, rehash, err := h.Verify(ctx, string(legacy), pw72); err != nil || !ok || !rehash {
		t.Fatalf("Verify(bcrypt, its 72-byte password) = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
	for _, typed := range []string{pw72 + "!", pw72 + " and anything else"} {
		if ok, rehash, err := h.Verify(ctx, string(legacy), typed); err != nil || ok || rehash {
			t.Errorf("Verify(bcrypt of a 72-byte password, %d bytes starting with it) = %v, %v, %v; want false, false, nil",
				len(typed), ok, rehash, err)
		}
	}
}

func TestPasswordsAreNormalisedToNFKC(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, factor.HasherConfig{Params: fastParams})
	composed := "caf\u00e9 \ufb01ve passwords" // é as one code point, "ﬁ" ligature
	decomposed := "cafe\u0301 five passwords"  // e + combining acute, plain "fi"
	phc, _ := h.Hash(ctx, composed)
	if ok, _, err := h.Verify(ctx, phc, decomposed); err != nil || !ok {
		t.Errorf("Verify(decomposed form of the hashed password) = %v, %v; want true, nil", ok, err)
	}
	if ok, _, _ := h.Verify(ctx, phc, "cafe five passwords"); ok {
		t.Errorf("Verify(password without the accent) = true, want false")
	}
	t.Run("bcrypt compares bytes as given", func(t *testing.T) {
		legacy, _ := bcrypt.GenerateFromPassword([]byte(composed), bcrypt.MinCost)
		if ok, _, _ := h.Verify(ctx, string(legacy), composed); !ok {
			t.Errorf("Verify(bcrypt, same bytes) = false, want true")
		}
		if ok, _, _ := h.Verify(ctx, string(legacy), decomposed); ok {
			t.Errorf("Verify(bcrypt, other normal form) = true, want false (imported hashes were not normalised)")
		}
	})
}

// malformedHashes are rejected by both Verify and ParseImportedHash.
var malformedHashes = []struct {
	name        string
	hash        string
	unsupported bool
	params      bool
}{
	{"empty", "", false, false},
	{"plain text", "password", false, false},
	{"md5-crypt", "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/", true, false},
	{"scrypt", "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E", true, false},
	{"argon2i", "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$wWKIMhR9lyDFvRz9YTZweHKfbftvj+qf+YFY4NeBbtA", true, false},
	{"argon2d", "$argon2d$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", true, false},
	{"argon2id version 16", "$argon2id$v=16$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", true, false},
	{"argon2id without version", "$argon2id$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", false, false},
	{"argon2id params out of order", "$argon2id$v=19$t=2,m=65536,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", false, false},
	{"argon2id extra param", "$argon2id$v=19$m=65536,t=2,p=1,keyid=x$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", false, false},
	{"argon2id signed number", "$argon2id$v=19$m=+65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", false, false},
	{"argon2id leading zero", "$argon2id$v=19$m=065536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", false, false},
	{"argon2id memory above 4 GiB", "$argon2id$v=19$m=4194305,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", false, true},
	{"argon2id memory overflows uint32", "$argon2id$v=19$m=9999999999,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", false, true},
	{"argon2id memory below 8p", "$argon2id$v=19$m=15,t=2,p=2$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", false, true},
	{"argon2id 101 passes", "$argon2id$v=19$m=65536,t=101,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", false, true},
	{"argon2id zero passes", "$argon2id$v=19$m=65536,t=0,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", false, true},
	{"argon2id zero threads", "$argon2id$v=19$m=65536,t=2,p=0$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", false, true},
	{"argon2id 256 threads", "$argon2id$v=19$m=65536,t=2,p=256$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", false, true},
	{"argon2id 4-byte salt", "$argon2id$v=19$m=65536,t=2,p=1$c29tZQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", false, true},
	{"argon2id 8-byte hash", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO0", false, true},
	{"argon2id padded salt", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ=$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", false, false},
	{"argon2id url-safe base64", "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB_VmZZF4Oo79iDXuL5_0ttZwg2f_5U52iv1cDc", false, false},
	{"argon2id missing hash", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ", false, false},
	{"argon2id trailing field", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc$", false, false},
	{"argon2id surrounding space", " $argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc", false, false},
	{"bcrypt $2x$", "$2x$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", true, false},
	{"bcrypt $2$", "$2$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", true, false},
	{"bcrypt truncated", "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YE", false, false},
	{"bcrypt one char too many", "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEmm", false, false},
	{"bcrypt bad cost field", "$2b$4$$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", false, false},
	{"bcrypt standard base64 char", "$2b$04$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD+TXg5uZV.0P.uO8m3YEm", false, false},
	{"bcrypt cost 3", "$2b$03$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", false, true},
	{"bcrypt cost 17", "$2b$17$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", false, true},
	{"bcrypt cost 31", "$2b$31$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm", false, true},
}

func TestMalformedHashesAreRejected(t *testing.T) {
	h := newHasher(t, factor.HasherConfig{Params: fastParams})
	for _, tt := range malformedHashes {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), tt.hash, "password")
			if ok || rehash || !errors.Is(err, factor.ErrMalformedHash) {
				t.Fatalf("Verify = %v, %v, %v; want false, false, ErrMalformedHash", ok, rehash, err)
			}
			if got := errors.Is(err, factor.ErrUnsupportedHash); got != tt.unsupported {
				t.Errorf("errors.Is(%v, ErrUnsupportedHash) = %v, want %v", err, got, tt.unsupported)
			}
			if got := errors.Is(err, factor.ErrHashParams); got != tt.params {
				t.Errorf("errors.Is(%v, ErrHashParams) = %v, want %v", err, got, tt.params)
			}
			perr := factor.ParseImportedHash(tt.hash)
			if !errors.Is(perr, factor.ErrMalformedHash) {
				t.Errorf("ParseImportedHash error = %v, want ErrMalformedHash", perr)
			}
			if perr != nil && err != nil && perr.Error() != err.Error() {
				t.Errorf("ParseImportedHash error %q differs from Verify error %q", perr, err)
			}
		})
	}
}

func TestParseImportedHashAcceptsLimits(t *testing.T) {
	for _, hash := range []string{
		"$argon2id$v=19$m=65536,t=10,p=8$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=16,t=1,p=2$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5Q",
		"$2b$16$cVWp4XaNU8a4v1uMRum2SO026BWLIoQMD/TXg5uZV.0P.uO8m3YEm",
	} {
		if err := factor.ParseImportedHash(hash); err != nil {
			t.Errorf("ParseImportedHash(%q) = %v, want nil", hash, err)
		}
	}
}

// TestParseImportedHashRefusesCostlyParams: an imported argon2id hash is
// verified at any stranger's request, so it must not cost more than the
// import limits, though the Hasher accepts such parameters for its own
// hashes (up to MaxArgon2Memory and MaxArgon2Time).
func TestParseImportedHashRefusesCostlyParams(t *testing.T) {
	for _, params := range []string{"m=4194304,t=100,p=255", "m=65537,t=2,p=1", "m=19456,t=11,p=1", "m=19456,t=2,p=9"} {
		hash := "$argon2id$v=19$" + params + "$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
		if err := factor.ParseImportedHash(hash); !errors.Is(err, factor.ErrMalformedHash) || !errors.Is(err, factor.ErrHashParams) {
			t.Errorf("ParseImportedHash(%s) = %v, want ErrMalformedHash and ErrHashParams", params, err)
		}
	}
}

func TestVerifyDummyNeverSucceedsOrFails(t *testing.T) {
	h := newHasher(t, factor.HasherConfig{Params: fastParams})
	for _, pw := range []string{"", "password", strings.Repeat("x", 1000)} {
		if err := h.VerifyDummy(context.Background(), pw); err != nil {
			t.Errorf("VerifyDummy(%q) = %v, want nil", pw, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.VerifyDummy(ctx, "password"); !errors.Is(err, context.Canceled) {
		t.Errorf("VerifyDummy(canceled ctx) = %v, want context.Canceled", err)
	}
}

func TestNewHasherRejectsBadParams(t *testing.T) {
	tests := []struct {
		name   string
		params factor.Params
	}{
		{"zero passes", factor.Params{Memory: 64, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"zero threads", factor.Params{Memory: 64, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32}},
		{"memory below 8 per thread", factor.Params{Memory: 15, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}},
		{"memory above 4 GiB", factor.Params{Memory: factor.MaxArgon2Memory + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"8-byte salt", factor.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 8, KeyLen: 32}},
		{"8-byte key", factor.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := factor.NewHasher(factor.HasherConfig{Params: tt.params}); err == nil {
				t.Errorf("NewHasher(%+v): got nil error, want error", tt.params)
			}
		})
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		want error
	}{
		{"empty", "", factor.ErrPasswordTooShort},
		{"7 ASCII characters", "abcdefg", factor.ErrPasswordTooShort},
		{"8 ASCII characters", "abcdefgh", nil},
		{"8 spaces (no composition rules)", "        ", nil},
		{"8 Cyrillic characters in 16 bytes", "пароль12", nil},
		{"7 emoji in 28 bytes are 7 characters", strings.Repeat("🔑", 7), factor.ErrPasswordTooShort},
		{"8 emoji", strings.Repeat("🔑", 8), nil},
		{"256 characters", strings.Repeat("a", 256), nil},
		{"256 two-byte characters", strings.Repeat("é", 256), nil},
		{"257 characters", strings.Repeat("a", 257), factor.ErrPasswordTooLong},
		{"huge input", strings.Repeat("a", 1<<20), factor.ErrPasswordTooLong},
		{"4 decomposed accents are 4 characters after NFKC", strings.Repeat("e\u0301", 4), factor.ErrPasswordTooShort},
		{"4 ligatures are 8 characters after NFKC", strings.Repeat("\ufb00", 4), nil},
		{"invalid UTF-8", "abcdefgh\xff", factor.ErrPasswordEncoding},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := factor.CheckPassword(tt.pw); !errors.Is(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("CheckPassword = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzParseImportedHash(f *testing.F) {
	for _, tt := range foreignHashes {
		f.Add(tt.hash)
	}
	for _, tt := range malformedHashes {
		f.Add(tt.hash)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := factor.ParseImportedHash(s)
		if err != nil && !errors.Is(err, factor.ErrMalformedHash) {
			t.Fatalf("ParseImportedHash(%q) = %v, want nil or ErrMalformedHash", s, err)
		}
		if err == nil && !strings.HasPrefix(s, "$argon2id$v=19$m=") && !strings.HasPrefix(s, "$2") {
			t.Fatalf("ParseImportedHash(%q) accepted a string that is neither argon2id nor bcrypt", s)
		}
	})
}

func BenchmarkHashDefault(b *testing.B) {
	h := newHasher(b, factor.HasherConfig{})
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyDefault(b *testing.B) {
	h := newHasher(b, factor.HasherConfig{})
	ctx := context.Background()
	phc, _ := h.Hash(ctx, "correct horse battery staple")
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, phc, "correct horse battery staple"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkVerifyDummy(b *testing.B) {
	h := newHasher(b, factor.HasherConfig{})
	ctx := context.Background()
	for b.Loop() {
		if err := h.VerifyDummy(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	// Every parallel goroutine may wait; none should be turned away.
	h := newHasher(b, factor.HasherConfig{MaxQueue: 1024, QueueWait: time.Minute})
	ctx := context.Background()
	phc, _ := h.Hash(ctx, "correct horse battery staple")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, _, err := h.Verify(ctx, phc, "correct horse battery staple"); !ok || err != nil {
				b.Error(ok, err)
				return
			}
		}
	})
}

func BenchmarkVerifyBcrypt10(b *testing.B) {
	h := newHasher(b, factor.HasherConfig{})
	ctx := context.Background()
	legacy, err := bcrypt.GenerateFromPassword([]byte("correct horse battery staple"), 10)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, string(legacy), "correct horse battery staple"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
