package store

import (
	"strings"
	"testing"
)

func TestRedactHidesEveryPassword(t *testing.T) {
	for _, raw := range []string{
		"redis://user:s3cret@host:6379/0",
		"redis+sentinel://host:26379/0?master_name=m&password=s3cret",
		"redis+sentinel://host:26379/0?master_name=m&sentinel_password=s3cret",
	} {
		got := Redact(raw)
		if strings.Contains(got, "s3cret") {
			t.Errorf("Redact(%q) = %q still shows the password", raw, got)
		}
		if !strings.Contains(got, "host:") {
			t.Errorf("Redact(%q) = %q lost the host", raw, got)
		}
	}
}

func TestBadURLErrorHidesPassword(t *testing.T) {
	_, err := Connect(t.Context(), "redis://u:pa%zzss@host:6379/0")
	if err == nil || strings.Contains(err.Error(), "pa%zzss") {
		t.Fatalf("error %v shows the password", err)
	}
}

func TestConnectRejectsUnknownSchemes(t *testing.T) {
	for _, raw := range []string{"http://host", "redis+foo://host:1", "redis+sentinel://host:1/0"} {
		if _, err := Connect(t.Context(), raw); err == nil {
			t.Errorf("Connect(%q) succeeded", raw)
		}
	}
}
