package notice

import (
	"testing"
	"time"
)

func TestRetryAfterDoublesUpToMaxRetry(t *testing.T) {
	for _, c := range []struct {
		failed int
		want   time.Duration
	}{
		{1, time.Minute}, {2, 2 * time.Minute}, {3, 4 * time.Minute}, {6, 32 * time.Minute},
		{7, MaxRetry}, {8, MaxRetry}, {1000, MaxRetry},
	} {
		if got := retryAfter(c.failed); got != c.want {
			t.Errorf("retryAfter(%d) = %v, want %v", c.failed, got, c.want)
		}
	}
}
