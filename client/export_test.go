package client

import "time"

// CloseWait lets the external tests check how long a disconnect may wait.
const CloseWait = closeWait

// Retrier exposes the reconnect backoff to the external tests.
type Retrier = retrier

func (r *Retrier) Next(err error) (time.Duration, int) { return r.next(err) }
func (r *Retrier) WentDown(d time.Duration)            { r.wentDown(d) }
