package headend

import (
	"errors"
	"net/netip"
	"sync"
)

// ErrPoolExhausted means every address of a pool is leased.
var ErrPoolExhausted = errors.New("headend: address pool exhausted")

// allocator hands out the addresses of one pool, lowest free first: an
// IPv4 address and, when the pool has an IPv6 network, an IPv6 one with
// the same offset (the network's first address is skipped).
type allocator struct {
	mu          sync.Mutex
	first, last netip.Addr
	bits        int
	v6          netip.Prefix
	used        map[netip.Addr]bool
}

func newAllocator(p Pool) *allocator {
	return &allocator{first: p.first, last: p.last, bits: p.bits, v6: p.v6, used: map[netip.Addr]bool{}}
}

// lease returns free addresses with the pool's prefix lengths (v6 invalid
// for an IPv4-only pool), and the function that gives them back.
func (a *allocator) lease() (v4, v6 netip.Prefix, release func(), err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	six := a.v6.Addr()
	for ip := a.first; ip.IsValid() && !a.last.Less(ip); ip = ip.Next() {
		six = six.Next()
		if a.used[ip] {
			continue
		}
		a.used[ip] = true
		var once sync.Once
		release = func() {
			once.Do(func() {
				a.mu.Lock()
				delete(a.used, ip)
				a.mu.Unlock()
			})
		}
		if a.v6.IsValid() {
			v6 = netip.PrefixFrom(six, a.v6.Bits())
		}
		return netip.PrefixFrom(ip, a.bits), v6, release, nil
	}
	return netip.Prefix{}, netip.Prefix{}, nil, ErrPoolExhausted
}

// fullTunnel is what a group policy without split-include tunnels.
var (
	fullTunnel  = netip.MustParsePrefix("0.0.0.0/0")
	fullTunnel6 = netip.MustParsePrefix("::/0")
)
