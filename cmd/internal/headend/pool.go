package headend

import (
	"errors"
	"net/netip"
	"sync"
)

// ErrPoolExhausted means every address of a pool is leased.
var ErrPoolExhausted = errors.New("headend: address pool exhausted")

// allocator hands out the addresses of one pool, lowest free first.
type allocator struct {
	mu          sync.Mutex
	first, last netip.Addr
	bits        int
	used        map[netip.Addr]bool
}

func newAllocator(p Pool) *allocator {
	return &allocator{first: p.first, last: p.last, bits: p.bits, used: map[netip.Addr]bool{}}
}

// lease returns a free address with the pool's prefix length, and the
// function that gives it back.
func (a *allocator) lease() (netip.Prefix, func(), error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for ip := a.first; ip.IsValid() && !a.last.Less(ip); ip = ip.Next() {
		if !a.used[ip] {
			a.used[ip] = true
			var once sync.Once
			release := func() {
				once.Do(func() {
					a.mu.Lock()
					delete(a.used, ip)
					a.mu.Unlock()
				})
			}
			return netip.PrefixFrom(ip, a.bits), release, nil
		}
	}
	return netip.Prefix{}, nil, ErrPoolExhausted
}

// fullTunnel is what a group policy without split-include tunnels.
var fullTunnel = netip.MustParsePrefix("0.0.0.0/0")
