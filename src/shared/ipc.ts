/**
 * The only Electron IPC channel. The renderer posts one end of a MessageChannel to its own window with
 * this message; the preload forwards that port to the main process on the same channel name, where the
 * oRPC router is served over it. Everything else goes through the contract, never through raw IPC.
 */
export const RPC_PORT_CHANNEL = 'inferadmin:rpc-port'
