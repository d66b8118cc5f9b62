/** Why the gateway is not listening: the System page and the doctor show it. */
export interface GatewayListenError {
  code: string
  message: string
  fix: string
}

export function listenError(err: NodeJS.ErrnoException, host: string, port: number): GatewayListenError {
  const where = `${host}:${port}`
  switch (err.code) {
    case 'EADDRINUSE':
      return {
        code: 'EADDRINUSE',
        message: `Port ${port} is in use by another program, so the gateway is not listening on ${where}.`,
        fix: `Stop the program on port ${port} (\`ss -ltnp 'sport = :${port}'\` names it), or choose another gateway port in Settings.`,
      }
    case 'EACCES':
      return {
        code: 'EACCES',
        message: `The gateway may not listen on port ${port} (ports below 1024 need root).`,
        fix: 'Choose a gateway port from 1024 to 65535 in Settings.',
      }
    case 'EADDRNOTAVAIL':
      return {
        code: 'EADDRNOTAVAIL',
        message: `${host} is not an address of this machine, so the gateway cannot listen on it.`,
        fix: 'Choose a listen address this machine has in Settings (or 0.0.0.0 for all).',
      }
    default:
      return {
        code: err.code ?? 'LISTEN_FAILED',
        message: `The gateway could not listen on ${where}: ${err.message}.`,
        fix: 'Check the gateway port and listen address in Settings.',
      }
  }
}
