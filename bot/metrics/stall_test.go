package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/kring-school/kring/bot/metrics"
	"github.com/kring-school/kring/bot/store"
	"github.com/kring-school/kring/bot/store/storetest"
)

// /healthz answers "unhealthy" while Redis stalls, instead of waiting for it: the
// check gives up after HealthTimeout, before Redis wakes up.
func TestHealthTimesOutOnAStalledRedis(t *testing.T) {
	t.Parallel()
	url := storetest.OwnRedis(t)
	rdb, err := store.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	woke := storetest.Stall(t, url, metrics.HealthTimeout+3*time.Second)
	err = metrics.Health(rdb, nil)(context.Background())
	select {
	case <-woke:
		t.Error("the health check waited for Redis to wake up")
	default:
	}
	if err == nil {
		t.Error("health check passed while Redis was stalled")
	}
	<-woke
}
