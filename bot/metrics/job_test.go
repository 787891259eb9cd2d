package metrics_test

import (
	"net/http/httptest"
	"testing"

	"github.com/kring-school/kring/bot/bottest"
	"github.com/kring-school/kring/bot/chat"
	"github.com/kring-school/kring/bot/metrics"
)

// The morning job counts the pupils no connected platform reaches (here: Discord is
// connected and nobody in the example school has a Discord id) instead of reporting a
// quiet success.
func TestMorningJobCountsThePeopleItCannotReach(t *testing.T) {
	m := metrics.New()
	rec := &bottest.Recorder{P: chat.Discord}
	h := bottest.New(t, bottest.Options{Adapters: []chat.Adapter{rec}, EngineObserver: m})
	h.At("08:15")
	srv := httptest.NewServer(metrics.Handler(m, nil))
	defer srv.Close()
	got := scrape(t, srv.URL+"/metrics")
	pupils := len(h.School.Members("2B", "pupil"))
	if pupils == 0 {
		t.Fatal("the example school has no pupils in 2B")
	}
	if v := got[`kring_job_people_total{job="checkin.checkin",outcome="unreachable"}`]; int(v) != pupils {
		t.Errorf("unreachable people counted %v, want %d; metrics: %v", v, pupils, got)
	}
	if len(rec.Sent()) != 0 {
		t.Errorf("%d messages sent to people without a Discord id", len(rec.Sent()))
	}
}
