package edge_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/edge"
)

// BenchmarkPost compares the client with a bare http.Client post of the same
// batch, with a fresh Idempotency-Key, to the same real hub: the baseline is
// the cost of the wire and the hub, and the difference the cost of the
// client's encoding and bookkeeping.
func BenchmarkPost(b *testing.B) {
	for _, n := range []int{5, 500} {
		obs := edge.Generate("alpha", n, 1)
		b.Run("Baseline/"+strconv.Itoa(n), func(b *testing.B) {
			h := startHub(b)
			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			hc := &http.Client{Transport: tr}
			body, err := json.Marshal(island.Batch{NodeID: "alpha", Observations: obs})
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				req, err := http.NewRequest(http.MethodPost, h.URL()+"/ingest", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", edge.NewKey())
				resp, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
		b.Run("Client/"+strconv.Itoa(n), func(b *testing.B) {
			h := startHub(b)
			c := realClient(b, h.URL(), edge.Policy{})
			for b.Loop() {
				if _, err := c.PostObservations(context.Background(), obs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
