package delivery

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// attemptAt is a sign-in time outside UTC, to check it is shown in UTC.
var attemptAt = time.Date(2026, 5, 1, 15, 4, 0, 0, time.FixedZone("CEST", 2*60*60))

// codeLike finds a six-digit number, which a notice must not carry.
var codeLike = regexp.MustCompile(`\b\d{6}\b`)

const evilUA = `<img src=x onerror="alert(1)">`

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("%s: got\n%s\nwant it to contain %q", what, got, want)
		}
	}
}

func mustNotContain(t *testing.T, what, got string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(got, u) {
			t.Errorf("%s: got\n%s\nwant it without %q", what, got, u)
		}
	}
}

func TestRenderCodeEmail(t *testing.T) {
	t.Run("verification code", func(t *testing.T) {
		m, err := RenderCodeEmail(CodeEmail{ApplicationID: "app_1", AppName: "Acme", To: "user@example.com", Code: "482913",
			Device: "Firefox on Linux", IP: "203.0.113.7", At: attemptAt})
		if err != nil {
			t.Fatal(err)
		}
		want := Message{ApplicationID: "app_1", Channel: ChannelEmail, To: "user@example.com", Kind: KindVerificationCode, Subject: "Your Acme verification code"}
		if got := (Message{ApplicationID: m.ApplicationID, Channel: m.Channel, To: m.To, Kind: m.Kind, Subject: m.Subject}); got != want {
			t.Errorf("message: got %+v, want %+v", got, want)
		}
		mustContain(t, "text", m.Text, "482913", "It expires in 10 minutes.")
		mustContain(t, "HTML", m.HTML, "482913", "It expires in 10 minutes.")
		// The attempt's details belong to Client Trust emails only.
		mustNotContain(t, "text", m.Text, "new device", "Firefox", "203.0.113.7")
	})

	t.Run("Client Trust code names the device, IP and time and says what to do", func(t *testing.T) {
		m, err := RenderCodeEmail(CodeEmail{AppName: "Acme", To: "user@example.com", Code: "482913", TTL: 5 * time.Minute,
			Purpose: PurposeClientTrust, Device: evilUA, IP: "203.0.113.7", At: attemptAt})
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind != KindClientTrustCode {
			t.Errorf("kind: got %q, want %q", m.Kind, KindClientTrustCode)
		}
		for what, body := range map[string]string{"text": m.Text, "HTML": m.HTML} {
			mustContain(t, what, body, "We noticed a sign-in from a new device", "203.0.113.7",
				"1 May 2026, 13:04 UTC", "482913", "It expires in 5 minutes.", "Change your password")
		}
		mustContain(t, "text", m.Text, evilUA)
		mustContain(t, "HTML", m.HTML, "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;")
		mustNotContain(t, "HTML", m.HTML, "<img")
	})

	t.Run("password reset code names the request and says nothing changes without it", func(t *testing.T) {
		m, err := RenderCodeEmail(CodeEmail{AppName: "Acme", To: "user@example.com", Code: "482913", TTL: 5 * time.Minute,
			Purpose: PurposeResetPassword, Device: evilUA, IP: "203.0.113.7", At: attemptAt})
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind != KindResetPasswordCode || m.Subject != "Reset your Acme password" {
			t.Errorf("kind, subject: got %q, %q", m.Kind, m.Subject)
		}
		for what, body := range map[string]string{"text": m.Text, "HTML": m.HTML} {
			mustContain(t, what, body, "Someone asked to reset the password", "203.0.113.7",
				"1 May 2026, 13:04 UTC", "482913", "It expires in 5 minutes.", "your password stays as it is")
			mustNotContain(t, what, body, "new device", "Change your password")
		}
		mustNotContain(t, "HTML", m.HTML, "<img")
	})

	t.Run("the app name is escaped in HTML and cannot break the subject line", func(t *testing.T) {
		m, err := RenderCodeEmail(CodeEmail{AppName: "Acme</title><script>x()</script>\r\nBcc: victim@example.com", To: "user@example.com", Code: "482913"})
		if err != nil {
			t.Fatal(err)
		}
		mustNotContain(t, "subject", m.Subject, "\r", "\n")
		mustNotContain(t, "HTML", m.HTML, "<script>", "</title><")
		mustContain(t, "HTML", m.HTML, "Acme&lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;")
	})

	t.Run("a very long device description is shortened", func(t *testing.T) {
		m, err := RenderCodeEmail(CodeEmail{AppName: "Acme", To: "user@example.com", Code: "482913", Purpose: PurposeClientTrust,
			Device: strings.Repeat("Mozilla/5.0 ", 100)})
		if err != nil {
			t.Fatal(err)
		}
		mustNotContain(t, "text", m.Text, strings.Repeat("Mozilla/5.0 ", 11))
		mustContain(t, "text", m.Text, "…")
	})

	for _, tc := range []struct {
		name string
		e    CodeEmail
		want string
	}{
		{"an app name is required", CodeEmail{To: "user@example.com", Code: "1"}, "AppName"},
		{"a recipient is required", CodeEmail{AppName: "Acme", Code: "1"}, "To"},
		{"a code is required", CodeEmail{AppName: "Acme", To: "user@example.com", Code: " "}, "Code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := RenderCodeEmail(tc.e); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("RenderCodeEmail(%+v): got error %v, want one naming %s", tc.e, err, tc.want)
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	for _, tc := range []struct {
		ttl  time.Duration
		want string
	}{
		{0, "10 minutes"},
		{10 * time.Minute, "10 minutes"},
		{time.Minute, "1 minute"},
		{30 * time.Second, "1 minute"},
		{90 * time.Second, "2 minutes"},
	} {
		if got := expiry(tc.ttl); got != tc.want {
			t.Errorf("expiry(%v): got %q, want %q", tc.ttl, got, tc.want)
		}
	}
}

func TestRenderNewDeviceEmail(t *testing.T) {
	m, err := RenderNewDeviceEmail(NewDeviceEmail{ApplicationID: "app_1", AppName: "Acme", To: "user@example.com",
		Device: evilUA, IP: "2001:db8::1", At: attemptAt, AccountURL: "https://acme.example.com/account"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != KindNewDeviceSignIn || m.Channel != ChannelEmail || m.Subject != "New sign-in to your Acme account" {
		t.Errorf("message: got kind %q, channel %q, subject %q, want %q, email, \"New sign-in to your Acme account\"", m.Kind, m.Channel, m.Subject, KindNewDeviceSignIn)
	}
	for what, body := range map[string]string{"text": m.Text, "HTML": m.HTML} {
		mustContain(t, what, body, "2001:db8::1", "1 May 2026, 13:04 UTC", "change your password", "https://acme.example.com/account")
		mustNotContain(t, what, body, "code")
	}
	mustNotContain(t, "HTML", m.HTML, "<img")

	m, err = RenderNewDeviceEmail(NewDeviceEmail{AppName: "Acme", To: "user@example.com", AccountURL: "javascript:alert(1)"})
	if err != nil {
		t.Fatal(err)
	}
	mustNotContain(t, "HTML", m.HTML, `href="javascript:`)
	mustContain(t, "text", m.Text, "Device:      unknown", "IP address:  unknown", "Time:        unknown")
}

func TestRenderCodeSMS(t *testing.T) {
	for _, tc := range []struct {
		name     string
		purpose  Purpose
		wantKind string
		wantText string
	}{
		{"verification", PurposeVerification, KindVerificationCode, "482913 is your Acme verification code. It expires in 10 minutes."},
		{"Client Trust", PurposeClientTrust, KindClientTrustCode, "482913 is your Acme verification code. It expires in 10 minutes."},
		{"password reset", PurposeResetPassword, KindResetPasswordCode,
			"482913 is your Acme password reset code. It expires in 10 minutes. If you did not ask for it, ignore this message."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := RenderCodeSMS(CodeSMS{ApplicationID: "app_1", AppName: "Acme", To: "+15551234567", Code: "482913", Purpose: tc.purpose})
			if err != nil {
				t.Fatal(err)
			}
			want := Message{ApplicationID: "app_1", Channel: ChannelSMS, To: "+15551234567", Kind: tc.wantKind, Text: tc.wantText}
			if m != want {
				t.Errorf("got %+v, want %+v", m, want)
			}
		})
	}
}

func TestRenderAccountExists(t *testing.T) {
	e := AccountExists{ApplicationID: "app_1", AppName: "Acme", To: "user@example.com", Device: evilUA, IP: "203.0.113.7", At: attemptAt}
	m, err := RenderAccountExistsEmail(e)
	if err != nil {
		t.Fatal(err)
	}
	want := Message{ApplicationID: "app_1", Channel: ChannelEmail, To: "user@example.com", Kind: KindAccountExists, Subject: "You already have an account with Acme"}
	if got := (Message{ApplicationID: m.ApplicationID, Channel: m.Channel, To: m.To, Kind: m.Kind, Subject: m.Subject}); got != want {
		t.Errorf("message: got %+v, want %+v", got, want)
	}
	for what, body := range map[string]string{"text": m.Text, "HTML": m.HTML} {
		mustContain(t, what, body, "Someone tried to create a new Acme account with this email address",
			"No account was created or changed", "203.0.113.7", "1 May 2026, 13:04 UTC", "sign in instead", "Forgot password?")
		// No code: nothing in it can finish the sign-up.
		if codeLike.MatchString(body) {
			t.Errorf("%s carries a code-like number: %s", what, body)
		}
	}
	mustNotContain(t, "HTML", m.HTML, "<img")

	s, err := RenderAccountExistsSMS(AccountExists{ApplicationID: "app_1", AppName: "Acme\nCorp", To: "+15551234567"})
	if err != nil {
		t.Fatal(err)
	}
	wantSMS := Message{ApplicationID: "app_1", Channel: ChannelSMS, To: "+15551234567", Kind: KindAccountExists,
		Text: "Someone tried to sign up for Acme Corp with this number, which is already registered. Sign in instead. If it was not you, ignore this message."}
	if s != wantSMS {
		t.Errorf("text message: got %+v, want %+v", s, wantSMS)
	}
	if _, err := RenderAccountExistsEmail(AccountExists{AppName: "Acme"}); err == nil {
		t.Error("a notice without a recipient rendered")
	}
}

func TestRenderSecurityNoticeEmail(t *testing.T) {
	for _, c := range []Change{ChangePassword, ChangePasswordReset, ChangeTOTPAdded, ChangeTOTPRemoved, ChangePhoneAdded,
		ChangePhoneRemoved, ChangeBackupCodes, ChangePrimaryEmail, SecondFactorFailed, BackupCodeUsed} { // shown with the request
		m, err := RenderSecurityNoticeEmail(SecurityNotice{ApplicationID: "app_1", AppName: "Acme <b>", To: "user@example.com",
			Change: c, Detail: "The new one is n***@example.com.", Device: evilUA, IP: "203.0.113.9", At: attemptAt})
		if err != nil {
			t.Fatalf("change %d: %v", c, err)
		}
		want := changes[c].subject + " (Acme <b>)"
		if m.Kind != KindSecurityNotice || m.Channel != ChannelEmail || m.Subject != want {
			t.Errorf("change %d: got kind %q, channel %q, subject %q, want %q, email, %q", c, m.Kind, m.Channel, m.Subject, KindSecurityNotice, want)
		}
		for what, body := range map[string]string{"text": m.Text, "HTML": m.HTML} {
			mustContain(t, what, body, "203.0.113.9", "1 May 2026, 13:04 UTC", "reset your password", "n***@example.com")
			if codeLike.MatchString(body) {
				t.Errorf("change %d, %s: carries something like a code:\n%s", c, what, body)
			}
		}
		mustContain(t, "text", m.Text, strings.Replace(changes[c].sentence, "%s", "Acme <b>", 1))
		mustContain(t, "HTML", m.HTML, "Acme &lt;b&gt;")
		mustNotContain(t, "HTML", m.HTML, "<img", "Acme <b>")
	}
	// An administrator's: the request's device and IP are the operator's,
	// not shown; what to do is to ask the application.
	m, err := RenderSecurityNoticeEmail(SecurityNotice{AppName: "Acme", To: "user@example.com", Change: ChangeMFAReset,
		Device: evilUA, IP: "198.51.100.7", At: attemptAt})
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Two-step verification was turned off (Acme)" {
		t.Errorf("subject: %q", m.Subject)
	}
	for what, body := range map[string]string{"text": m.Text, "HTML": m.HTML} {
		mustContain(t, what, body, "An administrator of Acme", "1 May 2026, 13:04 UTC", "contact Acme", "reset your password")
		mustNotContain(t, what, body, "198.51.100.7", "IP address", "Device", "img")
	}

	m, err = RenderSecurityNoticeEmail(SecurityNotice{AppName: "Acme", To: "user@example.com", Change: ChangePassword})
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "text", m.Text, "Device:      unknown", "IP address:  unknown", "Time:        unknown")
	mustNotContain(t, "text", m.Text, "\n\n\n")
	if _, err := RenderSecurityNoticeEmail(SecurityNotice{AppName: "Acme", To: "user@example.com", Change: 99}); err == nil {
		t.Error("an unknown change rendered; want an error")
	}
	if _, err := RenderSecurityNoticeEmail(SecurityNotice{AppName: "Acme", Change: ChangePassword}); err == nil {
		t.Error("a notice without a recipient rendered; want an error")
	}
}
