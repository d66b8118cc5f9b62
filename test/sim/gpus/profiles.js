// @ts-check
/**
 * GPU profiles of the simulated workstation. Numbers come from shared/reference/vllm-facts.md §5
 * (fixture lines, memory totals, TDPs) and §3 (usable total as torch sees it); the `h200` profile from
 * output captured on a real H200 (test/fixtures/nvidia-smi/h200-driver-580/).
 */

/**
 * @typedef {object} GpuSpec
 * @property {number} index
 * @property {string} uuid
 * @property {string} name
 * @property {string} busId            e.g. 00000000:01:00.0
 * @property {string} subDeviceId      pci.sub_device_id, e.g. 0x167C10DE
 * @property {string} [deviceId]       pci.device_id, e.g. 0x268410DE
 * @property {number} memoryTotalMiB   what nvidia-smi reports as memory.total
 * @property {number} reservedMiB      memory.reserved: kept by the driver, in neither used nor free
 *                                     (free = total - reserved - used); torch's total = memoryTotalMiB - reservedMiB
 * @property {number} baseUsedMiB      used while idle (display, driver), part of memory.used
 * @property {number} powerLimitW
 * @property {number} powerIdleW
 * @property {number} powerMaxW        draw at 100 % utilization
 * @property {number} tempIdleC
 * @property {number} tempMaxC
 * @property {number | null} fanIdlePct  null → [N/A] (datacenter cards have no fan)
 * @property {number} clockGrMHz
 * @property {number} clockMemMHz
 * @property {number} clockMaxGrMHz
 * @property {number} [clockMaxMemMHz]  memory clock at load (and clocks.max.memory)
 * @property {string} [pstateIdle]      P-state without load (P8 on GeForce; P0 on an H200 in persistence mode)
 * @property {string} [pstateBusy]      P-state while compute runs (P2 on GeForce)
 * @property {boolean} memoryTempSupported
 * @property {string} computeCapability
 * @property {string | null} serial    null → [N/A] (GeForce)
 * @property {string} vbios
 */

/**
 * @typedef {object} GpuProfile
 * @property {string} name
 * @property {string} driverVersion
 * @property {string} cudaVersion
 * @property {GpuSpec[]} gpus
 */

/** @param {Partial<GpuSpec> & {index: number, uuid: string}} g @returns {GpuSpec} */
function rtx4090(g) {
  return {
    name: 'NVIDIA GeForce RTX 4090',
    busId: `00000000:0${g.index + 1}:00.0`,
    subDeviceId: '0x167C10DE',
    deviceId: '0x268410DE',
    memoryTotalMiB: 24564,
    // torch sees 23.5–23.6 GiB on a 24 GB card (vllm-facts §3): 24564 - 400 MiB = 23.60 GiB.
    reservedMiB: 400,
    baseUsedMiB: 2,
    powerLimitW: 450,
    powerIdleW: 11.87,
    powerMaxW: 438.5,
    tempIdleC: 35,
    tempMaxC: 71,
    fanIdlePct: 30,
    clockGrMHz: 210,
    clockMemMHz: 405,
    clockMaxGrMHz: 3120,
    clockMaxMemMHz: 10501,
    pstateIdle: 'P8',
    pstateBusy: 'P2',
    memoryTempSupported: false,
    computeCapability: '8.9',
    serial: null,
    vbios: '95.02.18.80.5F',
    ...g,
  }
}

/** @type {Record<string, GpuProfile>} */
export const PROFILES = {
  // 2 × RTX 4090 desktop, GPU0 drives the display (vllm-facts §5 fixture: 812 MiB, 3 %, 28.40 W, 41 °C).
  default: {
    name: 'default',
    driverVersion: '570.124.06',
    cudaVersion: '12.8',
    gpus: [
      rtx4090({ index: 0, uuid: 'GPU-5d1b9c8a-3e2f-4a6b-8c7d-0e1f2a3b4c5d', baseUsedMiB: 812, powerIdleW: 28.4, tempIdleC: 41 }),
      rtx4090({ index: 1, uuid: 'GPU-c0ffee00-1111-2222-3333-444455556666' }),
    ],
  },
  // 1 × H100 SXM5 80GB (vllm-facts §5 fixture: 81559 MiB, 69.87 W idle, 700 W limit, 31 °C).
  h100: {
    name: 'h100',
    driverVersion: '570.124.06',
    cudaVersion: '12.8',
    gpus: [
      {
        index: 0,
        uuid: 'GPU-8f3c1d2e-5b7a-4c1e-9f0a-1d2e3f4a5b6c',
        name: 'NVIDIA H100 80GB HBM3',
        busId: '00000000:18:00.0',
        subDeviceId: '0x16C110DE',
        deviceId: '0x233010DE',
        memoryTotalMiB: 81559,
        // torch total 79.22 GiB on an 80 GB card (vllm PR #10511, vllm-facts §5): 81559 - 438 MiB.
        reservedMiB: 438,
        baseUsedMiB: 0,
        powerLimitW: 700,
        powerIdleW: 69.87,
        powerMaxW: 630,
        tempIdleC: 31,
        tempMaxC: 62,
        fanIdlePct: null,
        clockGrMHz: 345,
        clockMemMHz: 2619,
        clockMaxGrMHz: 1980,
        clockMaxMemMHz: 2619,
        pstateIdle: 'P8',
        pstateBusy: 'P2',
        memoryTempSupported: true,
        computeCapability: '9.0',
        serial: '1654922001234',
        vbios: '96.00.74.00.0D',
      },
    ],
  },
  // 1 × H200 as captured (test/fixtures/nvidia-smi/h200-driver-580): 143771 MiB total, memory.reserved 616 MiB
  // (used 0 → free 143156), 700 W limit, ~79.5 W / 33 °C idle in P0 (persistence mode), 345/1980 MHz SM,
  // 3201 MHz memory, no fan, driver 580.159.04, CUDA 13.0. Load values (power, temperature) are not captured.
  h200: {
    name: 'h200',
    driverVersion: '580.159.04',
    cudaVersion: '13.0',
    gpus: [
      {
        index: 0,
        uuid: 'GPU-3b9d0c2e-7a41-4f6e-b8d5-2c1e0f9a8b7d',
        name: 'NVIDIA H200',
        busId: '00000000:00:06.0',
        subDeviceId: '0x18BF10DE',
        deviceId: '0x233510DE',
        memoryTotalMiB: 143771,
        reservedMiB: 616,
        baseUsedMiB: 0,
        powerLimitW: 700,
        powerIdleW: 79.5,
        powerMaxW: 640,
        tempIdleC: 33,
        tempMaxC: 62,
        fanIdlePct: null,
        clockGrMHz: 345,
        clockMemMHz: 3201,
        clockMaxGrMHz: 1980,
        clockMaxMemMHz: 3201,
        pstateIdle: 'P0',
        pstateBusy: 'P0',
        memoryTempSupported: true,
        computeCapability: '9.0',
        serial: '1654024100001',
        vbios: '96.00.A5.00.1A',
      },
    ],
  },
}

/**
 * A custom profile from JSON: `{"name"?, "driverVersion"?, "gpus": [{"name", "memoryTotalMiB", ...}]}`;
 * missing fields are filled from the RTX 4090 defaults and UUIDs are derived from the index when absent.
 * @param {unknown} json
 * @returns {GpuProfile}
 */
export function profileFromJson(json) {
  if (!json || typeof json !== 'object' || !Array.isArray(/** @type {any} */ (json).gpus)) {
    throw new Error('a GPU profile needs a "gpus" array')
  }
  const j = /** @type {{name?: string, driverVersion?: string, cudaVersion?: string, gpus: Partial<GpuSpec>[]}} */ (json)
  return {
    name: j.name ?? 'custom',
    driverVersion: j.driverVersion ?? '570.124.06',
    cudaVersion: j.cudaVersion ?? '12.8',
    gpus: j.gpus.map((g, index) =>
      rtx4090({
        ...g,
        index,
        uuid: g.uuid ?? `GPU-00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
      }),
    ),
  }
}
