package esp

import (
	"bytes"
	"testing"
	"time"
)

// TestBatchConnLoopback holds the real BatchConn to its contract over
// loopback sockets, with and without UDP GSO and GRO: batches arrive whole
// and in order, coalesced sends are split again, Close ends a waiting
// ReadBatch.
func TestBatchConnLoopback(t *testing.T) {
	withOffload(t, func(t *testing.T) {
		a, aAddr := loopback(t)
		defer a.Close()
		b, bAddr := loopback(t)
		var want [][]byte
		var ds []Datagram
		for g := range 4 {
			var run []byte
			for i := range 10 {
				p := bytes.Repeat([]byte{byte(g*10 + i)}, 1000)
				if g == 3 && i == 9 {
					p = p[:321] // a short last segment
				}
				want = append(want, p)
				if a.GSO() {
					run = append(run, p...)
				} else {
					ds = append(ds, Datagram{Buf: p, Addr: bAddr})
				}
			}
			if a.GSO() {
				ds = append(ds, Datagram{Buf: run, Addr: bAddr, Seg: 1000})
			}
		}
		if dropped, err := a.WriteBatch(ds); err != nil || dropped != 0 {
			t.Fatalf("WriteBatch: %d dropped, %v", dropped, err)
		}
		if err := a.WriteTo([]byte("single"), bAddr); err != nil {
			t.Fatal(err)
		}
		want = append(want, []byte("single"))

		rx := make([]Datagram, sockBatch)
		for i := range rx {
			rx[i].Buf = make([]byte, bufSize)
		}
		var got [][]byte
		for len(got) < len(want) {
			k, err := b.ReadBatch(rx)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range rx[:k] {
				if d.Addr != aAddr {
					t.Fatalf("datagram from %v, want %v", d.Addr, aAddr)
				}
				got = append(got, bytes.Clone(d.Buf[:d.N]))
			}
		}
		for i := range want {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("datagram %d: %d bytes of %#x, want %d of %#x", i, len(got[i]), got[i][0], len(want[i]), want[i][0])
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%d datagrams, want %d", len(got), len(want))
		}

		errc := make(chan error, 1)
		go func() {
			_, err := b.ReadBatch(rx)
			errc <- err
		}()
		b.Close()
		select {
		case err := <-errc:
			if !isClosed(err) {
				t.Fatalf("ReadBatch after Close: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not end ReadBatch")
		}
	})
}
