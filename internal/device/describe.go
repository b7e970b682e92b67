package device

import "strings"

// Describe summarises a user agent for people, e.g. "Chrome on macOS". It
// recognises the common browsers and systems and says "Unknown device" otherwise.
func Describe(userAgent string) string {
	if userAgent == "" {
		return "Unknown device"
	}
	ua := strings.ToLower(userAgent)
	browser := ""
	for _, b := range []struct{ token, name string }{
		{"edg/", "Edge"}, {"opr/", "Opera"}, {"firefox/", "Firefox"}, {"chromium/", "Chromium"},
		{"chrome/", "Chrome"}, {"safari/", "Safari"}, {"curl/", "curl"}, {"okhttp", "Android app"},
		{"cfnetwork", "iOS app"}, {"node", "Node.js"}, {"go-http-client", "Go client"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, o := range []struct{ token, name string }{
		{"iphone", "iOS"}, {"ipad", "iPadOS"}, {"android", "Android"}, {"mac os x", "macOS"},
		{"windows", "Windows"}, {"cros", "ChromeOS"}, {"linux", "Linux"},
	} {
		if strings.Contains(ua, o.token) {
			system = o.name
			break
		}
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return system + " device"
	}
	// Not the text itself: anyone can send a sign-up notice or a reset code
	// to an address, and the user agent would be their words in its email.
	return "Unknown device"
}
