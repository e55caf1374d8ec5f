package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/island-sensors/island"
	"github.com/island-sensors/island/hub"
)

const (
	benchBatch   = 1000 // observations per batch
	benchClients = 8    // concurrent clients
	benchClearAt = 200  // batches between clears, to bound the store's memory
	counterWidth = 10   // digits of the batch number inside each id
)

// batchTemplate is one encoded batch whose ids all hold a batch number that
// stamp overwrites, so that every iteration posts new observations.
type batchTemplate struct {
	body    []byte
	offsets []int // where each id's batch number starts
}

func newBatchTemplate(b *testing.B) *batchTemplate {
	t0 := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	batch := island.Batch{NodeID: "alpha"}
	zero := fmt.Sprintf("%0*d", counterWidth, 0)
	for i := range benchBatch {
		batch.Observations = append(batch.Observations, island.Observation{
			ID: fmt.Sprintf("alpha-%s-%04d", zero, i), NodeID: "alpha",
			Timestamp: t0.Add(time.Duration(i) * time.Second), Lat: 34 + float64(i)*1e-4,
			Lon: -118 - float64(i)*1e-4, Class: "vehicle", Confidence: 0.9})
	}
	body, err := json.Marshal(batch)
	if err != nil {
		b.Fatal(err)
	}
	tpl := &batchTemplate{body: body}
	marker := []byte(`"id":"alpha-`)
	for at := 0; ; {
		i := bytes.Index(body[at:], marker)
		if i < 0 {
			break
		}
		at += i + len(marker)
		tpl.offsets = append(tpl.offsets, at)
	}
	if len(tpl.offsets) != benchBatch {
		b.Fatalf("found %d ids in the template, want %d", len(tpl.offsets), benchBatch)
	}
	return tpl
}

// stamp returns a copy of the batch whose ids carry batch number n.
func (t *batchTemplate) stamp(n int64) []byte {
	body := bytes.Clone(t.body)
	var digits [counterWidth]byte
	s := strconv.AppendInt(digits[:0], n, 10)
	num := make([]byte, counterWidth)
	for i := range num {
		num[i] = '0'
	}
	copy(num[counterWidth-len(s):], s)
	for _, off := range t.offsets {
		copy(body[off:], num)
	}
	return body
}

// parallel runs fn b.N times over clients goroutines, each call with its
// own iteration number from 1 to b.N, and fails b with the first error.
func parallel(b *testing.B, clients int, fn func(n int64) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for range clients {
		wg.Go(func() {
			for n := next.Add(1); n <= int64(b.N); n = next.Add(1) {
				if err := fn(n); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// BenchmarkIngest compares ingest of 1,000-observation batches through the
// hub's real HTTP stack on loopback, from 8 concurrent clients, with its
// ceiling: decoding the same bodies with the hub's decoder and nothing
// else, from as many goroutines. Every batch carries new ids, so that the
// store really stores each one.
func BenchmarkIngest(b *testing.B) {
	tpl := newBatchTemplate(b)
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(tpl.body)))
		b.ReportAllocs()
		parallel(b, benchClients, func(n int64) error {
			batch, err := hub.DecodeBatch(tpl.stamp(n))
			if err == nil && len(batch.Observations) != benchBatch {
				err = fmt.Errorf("decoded %d observations", len(batch.Observations))
			}
			return err
		})
	})
	b.Run("http", func(b *testing.B) { benchHTTP(b, tpl, false) })
	b.Run("http-idempotency-key", func(b *testing.B) { benchHTTP(b, tpl, true) })
}

func benchHTTP(b *testing.B, tpl *batchTemplate, withKey bool) {
	s := hub.New(hub.Config{})
	if err := s.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: benchClients}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr}
	want := []byte(fmt.Sprintf(`"accepted":%d,`, benchBatch))
	b.SetBytes(int64(len(tpl.body)))
	b.ReportAllocs()
	b.ResetTimer()
	parallel(b, benchClients, func(n int64) error {
		if n%benchClearAt == 0 {
			if _, err := postBench(cl, s.URL()+"/clear", nil, ""); err != nil {
				return err
			}
		}
		key := ""
		if withKey {
			key = "bench-" + strconv.FormatInt(n, 10)
		}
		answer, err := postBench(cl, s.URL()+"/ingest", tpl.stamp(n), key)
		if err == nil && !bytes.Contains(answer, want) {
			err = fmt.Errorf("ingest answered %s", answer)
		}
		return err
	})
}

func postBench(cl *http.Client, url string, body []byte, key string) ([]byte, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url,
		bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(hub.HeaderIdempotencyKey, key)
	}
	resp, err := cl.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s answered %d: %s", url, resp.StatusCode, answer)
	}
	return answer, err
}

// BenchmarkIngestRatio measures the same two things as BenchmarkIngest, but
// in alternating rounds inside one benchmark, so that load from outside the
// benchmark falls on both alike. Each iteration is one round of decoding
// benchClients batches at once, then one round of posting as many. It
// reports the time per batch of each and ingest/ceiling, the throughput of
// ingest as a share of the decode-only ceiling.
func BenchmarkIngestRatio(b *testing.B) {
	tpl := newBatchTemplate(b)
	s := hub.New(hub.Config{})
	if err := s.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: benchClients}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr}
	want := []byte(fmt.Sprintf(`"accepted":%d,`, benchBatch))
	decode := func(n int64) error {
		_, err := hub.DecodeBatch(tpl.stamp(n))
		return err
	}
	ingest := func(n int64) error {
		answer, err := postBench(cl, s.URL()+"/ingest", tpl.stamp(n), "")
		if err == nil && !bytes.Contains(answer, want) {
			err = fmt.Errorf("ingest answered %s", answer)
		}
		return err
	}
	var decodeTime, ingestTime time.Duration
	var batch int64
	b.ResetTimer()
	for i := range b.N {
		if i%(benchClearAt/benchClients) == 0 {
			if _, err := postBench(cl, s.URL()+"/clear", nil, ""); err != nil {
				b.Fatal(err)
			}
		}
		decodeTime += round(b, batch, decode)
		ingestTime += round(b, batch, ingest)
		batch += benchClients
	}
	perBatch := func(d time.Duration) float64 {
		return float64(d.Nanoseconds()) / float64(b.N*benchClients)
	}
	b.ReportMetric(perBatch(decodeTime), "decode-ns/batch")
	b.ReportMetric(perBatch(ingestTime), "ingest-ns/batch")
	b.ReportMetric(float64(decodeTime)/float64(ingestTime), "ingest/ceiling")
}

// round runs fn for batches first+1 ... first+benchClients at once and
// returns how long they took together.
func round(b *testing.B, first int64, fn func(n int64) error) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, benchClients)
	for c := range benchClients {
		wg.Go(func() { errs[c] = fn(first + int64(c) + 1) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}
