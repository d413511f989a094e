/**
 * L50 as a picture: one box per configuration and mode, on a log scale (Accord's times and the
 * baseline's differ by up to two orders of magnitude), whiskers to p99 (the figure the target
 * is about), the 75 ms target as a dashed line. Between the two, the floor: the stack alone. Written by `npm run bench` beside its output.
 */
import { boxPlot } from '../src/sim/svg-charts.ts'
import { L50_TARGET, inProcesses, type L50Figures, type ModeFigures } from './l50.ts'

const COLOR = { accord: '#2563eb', baseline: '#6b7280', stack: '#93c5fd' } as const
const NAME = { accord: 'Accord', baseline: 'baseline', stack: 'stack alone (floor)' } as const

function row (f: L50Figures, m: ModeFigures): { label: string, values: number[], color: string } {
  const values = m.timesToAll.filter(t => Number.isFinite(t))
  const lost = m.timesToAll.length - values.length
  return {
    label: `${inProcesses(f.processes)} · ${NAME[m.mode]}${lost > 0 ? ` (${lost} not everywhere)` : ''}`,
    values,
    color: COLOR[m.mode]
  }
}

export function l50Chart (figures: L50Figures[]): string {
  const first = figures[0]
  const load = first != null ? `${first.nodes} nodes, ${first.ratePerSec} records/s, ${first.seconds} s per mode` : 'no runs'
  return boxPlot(figures.flatMap(f => [row(f, f.accord), row(f, f.floor.stack), row(f, f.baseline)]), {
    title: `L50: time for a record to reach all nodes (${load})`,
    unit: 'ms',
    whiskers: [0.05, 0.99],
    shown: [0.5, 0.99],
    labelWidth: 280,
    marks: [{ at: L50_TARGET.p99Ms, label: `target p99 ${L50_TARGET.p99Ms} ms` }],
    note: 'the baseline is stock gossipsub in the same run; the floor is the libp2p stack as Accord assembles it, with no record layer'
  })
}
