package esp

import (
	"crypto/rand"
	"fmt"
	"testing"
)

var benchSuites = []testSuite{
	testSuites[2],  // AES-GCM-256
	testSuites[5],  // AES-CBC-256 + HMAC-SHA1-96
	testSuites[6],  // AES-CBC-128 + HMAC-SHA2-256-128
	testSuites[11], // 3DES + HMAC-SHA1-96 (legacy, for scale)
}

var benchSizes = []int{64, 1400, 8192}

// BenchmarkEncap encapsulates in place, repeatedly in the same buffer (the
// previous ciphertext serves as the next plaintext).
func BenchmarkEncap(b *testing.B) {
	for _, ts := range benchSuites {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/%d", ts.name, n), func(b *testing.B) {
				out, _ := pair(b, ts.config(false))
				buf := make([]byte, HeaderRoom+n+TailRoom)
				copy(buf[HeaderRoom:], innerPacket(4, n, 1))
				b.SetBytes(int64(n))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := out.EncapProto(buf, HeaderRoom, n, ProtoIPv4); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkEncapParallel shows how encapsulation on one SA scales over cores.
func BenchmarkEncapParallel(b *testing.B) {
	for _, ts := range benchSuites[:2] {
		b.Run(fmt.Sprintf("%s/1400", ts.name), func(b *testing.B) {
			out, _ := pair(b, ts.config(false))
			b.SetBytes(1400)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				buf := make([]byte, HeaderRoom+1400+TailRoom)
				for pb.Next() {
					if _, err := out.EncapProto(buf, HeaderRoom, 1400, ProtoIPv4); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkDecap decapsulates pre-made packets. Decap works in place, so each
// iteration first copies the packet into a work buffer (see BenchmarkCopy for
// that cost), and the replay window is reset after each pass over the set.
func BenchmarkDecap(b *testing.B) {
	const set = 1024
	for _, ts := range benchSuites {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/%d", ts.name, n), func(b *testing.B) {
				out, in := pair(b, ts.config(false))
				pkts := make([][]byte, set)
				for i := range pkts {
					pkts[i] = encap(b, out, innerPacket(4, n, 1))
				}
				work := make([]byte, len(pkts[0]))
				b.SetBytes(int64(n))
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if i == set {
						i = 0
						in.win.top = 0
						clear(in.win.ring)
					}
					copy(work, pkts[i])
					i++
					if _, _, err := in.Decap(work); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkCopy is the copy that BenchmarkDecap includes.
func BenchmarkCopy(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			src, dst := make([]byte, n+60), make([]byte, n+60)
			b.SetBytes(int64(n))
			for b.Loop() {
				copy(dst, src)
			}
		})
	}
}

// BenchmarkIV compares the CBC IV generator (one AES block under a random
// per-SA key) with crypto/rand.
func BenchmarkIV(b *testing.B) {
	out, _ := pair(b, testSuites[5].config(false))
	b.Run("aes-block", func(b *testing.B) {
		sc := out.pool.Get().(*scratch)
		b.ReportAllocs()
		for b.Loop() {
			out.ivKey.Encrypt(sc.blk[:], sc.blk[:])
		}
	})
	b.Run("crypto-rand", func(b *testing.B) {
		var iv [16]byte
		b.ReportAllocs()
		for b.Loop() {
			rand.Read(iv[:])
		}
	})
}

// BenchmarkRawGCM is the bare AES-256-GCM seal of the same sizes, the floor
// under BenchmarkEncap/AES-GCM-256 (run them together: this machine's
// figures drift with its load).
func BenchmarkRawGCM(b *testing.B) {
	out, _ := pair(b, testSuites[2].config(false))
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			buf := make([]byte, n+16)
			nonce := make([]byte, 12)
			aad := make([]byte, 8)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			for b.Loop() {
				out.suite.aead.Seal(buf[:0], nonce, buf[:n], aad)
			}
		})
	}
}
