/** Series of a chart: label for the legend/aria, color as any CSS color (e.g. var(--primary)). */
export type ChartConfig = Record<string, { label: string; color: string }>
