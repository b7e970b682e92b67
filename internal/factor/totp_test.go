package factor_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"image/png"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/trustgate/trustgate/internal/factor"
)

// rfcSecret is the RFC 4226 / RFC 6238 SHA1 test secret.
var rfcSecret = []byte("12345678901234567890")

func TestHOTPMatchesRFC4226AppendixD(t *testing.T) {
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for counter, w := range want {
		if got := factor.HOTP(rfcSecret, uint64(counter), 6); got != w {
			t.Errorf("HOTP(counter %d) = %s, want %s", counter, got, w)
		}
	}
}

func TestTOTPMatchesRFC6238AppendixB(t *testing.T) {
	tests := []struct {
		unix     int64
		wantStep string // "Value of T (hex)"
		want8    string
		want6    string
	}{
		{59, "0000000000000001", "94287082", "287082"},
		{1111111109, "00000000023523EC", "07081804", "081804"},
		{1111111111, "00000000023523ED", "14050471", "050471"},
		{1234567890, "000000000273EF07", "89005924", "005924"},
		{2000000000, "0000000003F940AA", "69279037", "279037"},
		{20000000000, "0000000027BC86AA", "65353130", "353130"}, // needs 64-bit time
	}
	for _, tt := range tests {
		t.Run(strconv.FormatInt(tt.unix, 10), func(t *testing.T) {
			at := time.Unix(tt.unix, 0)
			step := factor.TOTPStep(at)
			if got := fmt.Sprintf("%016X", step); got != tt.wantStep {
				t.Errorf("TOTPStep = %s, want %s", got, tt.wantStep)
			}
			if got := factor.HOTP(rfcSecret, uint64(step), 8); got != tt.want8 {
				t.Errorf("8-digit TOTP = %s, want %s", got, tt.want8)
			}
			if got := factor.TOTPAt(rfcSecret, at); got != tt.want6 {
				t.Errorf("TOTPAt = %s, want %s", got, tt.want6)
			}
		})
	}
}

func TestTOTPStepFloorsTime(t *testing.T) {
	tests := []struct {
		unix int64
		want int64
	}{
		{0, 0}, {29, 0}, {30, 1}, {59, 1}, {60, 2},
		{-1, -1}, {-30, -1}, {-31, -2},
	}
	for _, tt := range tests {
		if got := factor.TOTPStep(time.Unix(tt.unix, 999_999_999)); got != tt.want {
			t.Errorf("TOTPStep(%d.999999999) = %d, want %d", tt.unix, got, tt.want)
		}
	}
}

func TestHOTPPanicsOnUnsupportedDigits(t *testing.T) {
	for _, d := range []int{0, 5, 9, 10} {
		t.Run(strconv.Itoa(d), func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("HOTP(digits %d) did not panic", d)
				}
			}()
			factor.HOTP(rfcSecret, 0, d)
		})
	}
}

func TestValidateTOTPAcceptsOneStepOfSkew(t *testing.T) {
	now := time.Unix(1111111111, 0) // step 0x23523ED
	current := factor.TOTPStep(now)
	tests := []struct {
		offset int64
		wantOK bool
	}{
		{-2, false}, {-1, true}, {0, true}, {1, true}, {2, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("step %+d", tt.offset), func(t *testing.T) {
			code := factor.HOTP(rfcSecret, uint64(current+tt.offset), 6)
			step, ok := factor.ValidateTOTP(rfcSecret, code, now, -1)
			if ok != tt.wantOK {
				t.Fatalf("ValidateTOTP(code of step %+d) ok = %v, want %v", tt.offset, ok, tt.wantOK)
			}
			if ok && step != current+tt.offset {
				t.Errorf("step = %d, want %d", step, current+tt.offset)
			}
		})
	}
}

func TestValidateTOTPAcceptsEachCodeOnce(t *testing.T) {
	now := time.Unix(1234567890, 0)
	current := factor.TOTPStep(now)
	code := factor.TOTPAt(rfcSecret, now)

	step, ok := factor.ValidateTOTP(rfcSecret, code, now, -1)
	if !ok || step != current {
		t.Fatalf("first use = %d, %v; want %d, true", step, ok, current)
	}
	tests := []struct {
		name     string
		code     string
		at       time.Time
		lastUsed int64
		wantOK   bool
	}{
		{"same code again", code, now, step, false},
		{"same code again 29 s later", code, now.Add(29 * time.Second), step, false},
		{"previous step's code, still inside the window", factor.HOTP(rfcSecret, uint64(current-1), 6), now, step, false},
		{"next step's code", factor.HOTP(rfcSecret, uint64(current+1), 6), now, step, true},
		{"current code with a later step already used", code, now, current + 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := factor.ValidateTOTP(rfcSecret, tt.code, tt.at, tt.lastUsed); ok != tt.wantOK {
				t.Errorf("ValidateTOTP ok = %v, want %v", ok, tt.wantOK)
			}
		})
	}
}

func TestValidateTOTPReturnsLaterStepWhenACodeRepeatsInTheWindow(t *testing.T) {
	// Found by search: this secret's codes for steps 100 and 102 are both
	// 143025 (step 101 is 402496).
	secret, _ := hex.DecodeString("636f6c6c6973696f6e2d7365617263680016e35d")
	now := time.Unix(101*30+5, 0)
	if a, c := factor.HOTP(secret, 100, 6), factor.HOTP(secret, 102, 6); a != "143025" || c != "143025" {
		t.Fatalf("test secret codes = %s, %s; want 143025 twice", a, c)
	}
	step, ok := factor.ValidateTOTP(secret, "143025", now, -1)
	if !ok || step != 102 {
		t.Fatalf("ValidateTOTP = %d, %v; want 102, true", step, ok)
	}
	if _, ok := factor.ValidateTOTP(secret, "143025", now.Add(30*time.Second), step); ok {
		t.Errorf("the repeated code was accepted a second time")
	}
}

func TestValidateTOTPRejects(t *testing.T) {
	now := time.Unix(59, 0)
	good := factor.TOTPAt(rfcSecret, now) // 287082
	short := rfcSecret[:15]
	tests := []struct {
		name   string
		secret []byte
		code   string
		at     time.Time
		wantOK bool
	}{
		{"exact code", rfcSecret, good, now, true},
		{"code with a space", rfcSecret, "287 082", now, true},
		{"code with a dash", rfcSecret, "287-082", now, true},
		{"wrong code", rfcSecret, "287083", now, false},
		{"five digits", rfcSecret, "28708", now, false},
		{"eight-digit form", rfcSecret, "94287082", now, false},
		{"empty code", rfcSecret, "", now, false},
		{"full-width digits", rfcSecret, "２８７０８２", now, false},
		{"120-bit secret", short, factor.TOTPAt(short, now), now, false},
		{"empty secret", nil, factor.TOTPAt(nil, now), now, false},
		{"before the epoch", rfcSecret, factor.TOTPAt(rfcSecret, time.Unix(-10, 0)), time.Unix(-10, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, ok := factor.ValidateTOTP(tt.secret, tt.code, tt.at, -1); ok != tt.wantOK {
				t.Errorf("ValidateTOTP(%q) ok = %v, want %v", tt.code, ok, tt.wantOK)
			}
		})
	}
}

func TestNewTOTPSecret(t *testing.T) {
	src := bytes.NewReader(bytes.Repeat([]byte{0xA5}, 25))
	got, err := factor.NewTOTPSecret(src)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, bytes.Repeat([]byte{0xA5}, 20)) {
		t.Errorf("NewTOTPSecret = %x, want 20 bytes of a5", got)
	}
	if _, err := factor.NewTOTPSecret(iotest.ErrReader(errors.New("no entropy"))); err == nil {
		t.Errorf("NewTOTPSecret(failing reader): got nil error, want error")
	}
}

func TestEncodeDecodeSecret(t *testing.T) {
	if got, want := factor.EncodeSecret(rfcSecret), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; got != want {
		t.Errorf("EncodeSecret = %s, want %s", got, want)
	}
	seed32 := []byte("12345678901234567890123456789012")
	if got, want := factor.EncodeSecret(seed32), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA"; got != want {
		t.Errorf("EncodeSecret(32 bytes) = %s, want %s (no padding)", got, want)
	}
	tests := []struct {
		name string
		in   string
		want []byte
	}{
		{"canonical", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", rfcSecret},
		{"lowercase", "gezdgnbvgy3tqojqgezdgnbvgy3tqojq", rfcSecret},
		{"grouped in fours", "gezd gnbv gy3t qojq gezd gnbv gy3t qojq", rfcSecret},
		{"surrounding whitespace", "\tGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n", rfcSecret},
		{"padded", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA====", seed32},
		{"unpadded", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA", seed32},
		{"empty", "", nil},
		{"80-bit secret (too weak)", "GEZDGNBVGY3TQOJQ", nil},
		{"digit 1 is not base32", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1", nil},
		{"digit 8 is not base32", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ8", nil},
		{"padding in the middle", "GEZDGNBV====GY3TQOJQGEZDGNBVGY3TQOJQ", nil},
		{"impossible length", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQG", nil},
		{"dashes", "GEZD-GNBV-GY3T-QOJQ-GEZD-GNBV-GY3T-QOJQ", nil},
		{"non-ASCII", "ＧEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", nil},
		{"too long", strings.Repeat("A", 300), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := factor.DecodeSecret(tt.in)
			if tt.want == nil {
				if !errors.Is(err, factor.ErrSecretFormat) {
					t.Errorf("DecodeSecret(%q) = %x, %v; want ErrSecretFormat", tt.in, got, err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Errorf("DecodeSecret(%q) = %x, %v; want %x", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestTOTPURI(t *testing.T) {
	tests := []struct {
		name, issuer, account, want string
	}{
		{
			"issuer and email",
			"Acme", "nikos@clerk.com",
			"otpauth://totp/Acme:nikos%40clerk.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme&algorithm=SHA1&digits=6&period=30",
		},
		{
			"spaces, colons and ampersands are escaped",
			"Acme & Co: EU", "a b:c",
			"otpauth://totp/Acme%20%26%20Co%3A%20EU:a%20b%3Ac?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Acme%20%26%20Co%3A%20EU&algorithm=SHA1&digits=6&period=30",
		},
		{
			"no issuer",
			"", "+15551234567",
			"otpauth://totp/%2B15551234567?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA1&digits=6&period=30",
		},
		{
			"non-ASCII is UTF-8 percent-encoded",
			"Ωmega", "zoë",
			"otpauth://totp/%CE%A9mega:zo%C3%AB?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=%CE%A9mega&algorithm=SHA1&digits=6&period=30",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := factor.TOTPURI(tt.issuer, tt.account, rfcSecret)
			if got != tt.want {
				t.Errorf("TOTPURI =\n%s\nwant\n%s", got, tt.want)
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatalf("url.Parse: %v", err)
			}
			wantLabel := tt.account
			if tt.issuer != "" {
				wantLabel = tt.issuer + ":" + tt.account
			}
			q := u.Query()
			if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/"+wantLabel || q.Get("issuer") != tt.issuer || q.Get("secret") != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" {
				t.Errorf("parsed URI = scheme %q host %q path %q issuer %q secret %q; want otpauth, totp, /%s, %q, the secret",
					u.Scheme, u.Host, u.Path, q.Get("issuer"), q.Get("secret"), wantLabel, tt.issuer)
			}
		})
	}
}

func TestQRCodePNGEncodesContent(t *testing.T) {
	content := factor.TOTPURI("Acme", "nikos@clerk.com", rfcSecret)
	for _, size := range []int{64, 256, 2048} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			data, err := factor.QRCodePNG(content, size)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("png.Decode: %v", err)
			}
			if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
				t.Fatalf("image is %dx%d, want %dx%d", b.Dx(), b.Dy(), size, size)
			}
			// Sample the centre of every module against the symbol for
			// content at medium error correction.
			q, err := qrcode.New(content, qrcode.Medium)
			if err != nil {
				t.Fatal(err)
			}
			bitmap := q.Bitmap()
			n := len(bitmap)
			if 2*n > size {
				return // under two pixels per module: centres are ambiguous
			}
			for y := range n {
				for x := range n {
					px, py := (2*x+1)*size/(2*n), (2*y+1)*size/(2*n)
					r, _, _, _ := img.At(px, py).RGBA()
					if dark := r < 0x8000; dark != bitmap[y][x] {
						t.Fatalf("module (%d,%d) dark = %v, want %v", x, y, dark, bitmap[y][x])
					}
				}
			}
		})
	}
}

func TestQRCodePNGRejects(t *testing.T) {
	tests := []struct {
		name    string
		content string
		size    int
	}{
		{"size below 64", "otpauth://totp/x", 63},
		{"size above 2048", "otpauth://totp/x", 2049},
		{"empty content", "", 256},
		{"content beyond QR capacity", strings.Repeat("x", 3000), 256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := factor.QRCodePNG(tt.content, tt.size); err == nil {
				t.Errorf("QRCodePNG: got nil error, want error")
			}
		})
	}
}

// TestTOTPInteropWithOathtool checks our codes against OATH Toolkit's
// oathtool, an independent implementation. CI installs it (Debian package
// oathtool, from oath-toolkit).
func TestTOTPInteropWithOathtool(t *testing.T) {
	oathtool, err := exec.LookPath("oathtool")
	if err != nil {
		t.Skip("oathtool not on PATH; install the Debian package oathtool (oath-toolkit) to run this interop test")
	}
	secrets := map[string][]byte{
		"RFC secret":     rfcSecret,
		"16-byte secret": []byte("0123456789abcdef"),
		"32-byte secret": bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 8),
		"binary secret":  {0x00, 0xff, 0x10, 0x80, 0x7f, 0x01, 0xfe, 0x55, 0xaa, 0x33, 0xcc, 0x0f, 0xf0, 0x42, 0x24, 0x99, 0x66, 0x11, 0xee, 0x77},
	}
	run := func(t *testing.T, args ...string) string {
		t.Helper()
		out, err := exec.Command(oathtool, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("oathtool %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	times := []int64{59, 1111111109, 1234567890, 1767225600, 2000000000, 20000000000}
	for name, secret := range secrets {
		b32 := factor.EncodeSecret(secret)
		t.Run(name+"/totp", func(t *testing.T) {
			for _, unix := range times {
				now := time.Unix(unix, 0)
				code := run(t, "--totp", "-b", b32, "--now", "@"+strconv.FormatInt(unix, 10))
				if got := factor.TOTPAt(secret, now); got != code {
					t.Errorf("at %d: TOTPAt = %s, oathtool = %s", unix, got, code)
				}
				step, ok := factor.ValidateTOTP(secret, code, now, -1)
				if !ok || step != factor.TOTPStep(now) {
					t.Errorf("at %d: ValidateTOTP(oathtool code %s) = %d, %v; want %d, true", unix, code, step, ok, factor.TOTPStep(now))
				}
				// A phone 30 s fast is inside the window.
				ahead := run(t, "--totp", "-b", b32, "--now", "@"+strconv.FormatInt(unix+30, 10))
				if _, ok := factor.ValidateTOTP(secret, ahead, now, -1); !ok {
					t.Errorf("at %d: code from a clock 30 s ahead rejected", unix)
				}
			}
		})
		t.Run(name+"/hotp", func(t *testing.T) {
			for _, counter := range []uint64{0, 1, 9, 1 << 32, 1<<63 + 5} {
				for _, digits := range []int{6, 7, 8} {
					want := run(t, "--hotp", "-b", b32, "-c", strconv.FormatUint(counter, 10), "-d", strconv.Itoa(digits))
					if got := factor.HOTP(secret, counter, digits); got != want {
						t.Errorf("HOTP(counter %d, %d digits) = %s, oathtool = %s", counter, digits, got, want)
					}
				}
			}
		})
	}
}

func FuzzDecodeSecret(f *testing.F) {
	for _, s := range []string{"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "gezd gnbv gy3t qojq gezd gnbv gy3t qojq", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA====", "", "A", "========", "ＧEZD"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		secret, err := factor.DecodeSecret(s)
		if err != nil {
			if !errors.Is(err, factor.ErrSecretFormat) {
				t.Fatalf("DecodeSecret(%q) error %v does not wrap ErrSecretFormat", s, err)
			}
			return
		}
		if len(secret) < factor.MinTOTPSecretLen {
			t.Fatalf("DecodeSecret(%q) accepted a %d-byte secret", s, len(secret))
		}
		again, err := factor.DecodeSecret(factor.EncodeSecret(secret))
		if err != nil || !bytes.Equal(again, secret) {
			t.Fatalf("DecodeSecret(EncodeSecret(%x)) = %x, %v; want the secret back", secret, again, err)
		}
	})
}
