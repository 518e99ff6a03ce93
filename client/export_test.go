package client

// CloseWait lets the external tests check how long a disconnect may wait.
const CloseWait = closeWait
