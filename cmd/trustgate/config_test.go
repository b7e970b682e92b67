package main

import (
	"strings"
	"testing"
)

// The startup log prints Config.String; no secret of a delivery URL may reach it.
func TestConfigStringRedactsDeliveryURLs(t *testing.T) {
	c := Config{
		DatabaseURL: "sqlite://trustgate.db",
		SMTPURL:     "smtp://mailer:smtp-pass-123@mail.example.com:587",
		SMSURL:      "https://hooks.example.com/sms?token=sms-token-456",
	}
	got := c.String()
	for _, secret := range []string{"smtp-pass-123", "sms-token-456"} {
		if strings.Contains(got, secret) {
			t.Errorf("Config.String() = %q, contains the secret %q", got, secret)
		}
	}
	for _, want := range []string{"mail.example.com:587", "hooks.example.com/sms"} {
		if !strings.Contains(got, want) {
			t.Errorf("Config.String() = %q, want it to still name %q", got, want)
		}
	}
}
