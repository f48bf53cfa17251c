// The fleet on a map: one marker per region, placed by where the region's name says it is
// (europe, us-east-1, ap-southeast-2 ...), each with a dot per member coloured by its health.
// Regions the map does not know are lined up along the bottom.

import type { Cluster } from '../../hub/apis/karmada/cluster/types.js';
import { clusterHealth } from '../../hub/apis/karmada/fleet.js';

const WIDTH = 960;
const HEIGHT = 440;

// [pattern, latitude, longitude], first match wins.
const PLACES: [RegExp, number, number][] = [
  [/us-?east|virginia|ohio/, 38, -78],
  [/us-?west|oregon|california/, 40, -121],
  [/us-?central|iowa|texas/, 38, -95],
  [/^(us|na|north-?america|america)/, 39, -98],
  [/canada|^ca-/, 50, -90],
  [/^(sa|south-?america|brazil)/, -15, -50],
  [/uk|london|eu-?west-?2/, 52, -1],
  [/ireland|eu-?west/, 53, -8],
  [/frankfurt|germany|eu-?central/, 50, 9],
  [/north|stockholm|finland/, 60, 18],
  [/^(eu|europe)/, 48, 10],
  [/^(me|middle-?east)|bahrain|dubai/, 25, 52],
  [/^(af|africa)/, -25, 25],
  [/india|mumbai|ap-?south-?1/, 19, 73],
  [/japan|tokyo|ap-?northeast/, 35, 139],
  [/singapore|ap-?southeast-?1/, 1, 104],
  [/australia|sydney|ap-?southeast-?2/, -33, 151],
  [/^(ap|asia)/, 30, 110],
];

export function regionPoint(region: string): { x: number; y: number } | undefined {
  const name = region.toLowerCase();
  for (const [pattern, lat, lon] of PLACES) {
    if (pattern.test(name)) return { x: ((lon + 180) / 360) * WIDTH, y: ((75 - lat) / 135) * (HEIGHT - 60) };
  }
  return undefined;
}

// Rough outlines of the continents (longitude, latitude), enough to tell where things are.
const LAND: [number, number][][] = [
  [
    [-168, 66],
    [-140, 70],
    [-95, 72],
    [-62, 60],
    [-55, 48],
    [-81, 25],
    [-97, 18],
    [-80, 8],
    [-105, 20],
    [-125, 40],
    [-168, 66],
  ],
  [
    [-80, 10],
    [-50, 0],
    [-35, -8],
    [-40, -22],
    [-58, -38],
    [-70, -55],
    [-75, -15],
    [-80, 10],
  ],
  [
    [-10, 36],
    [-10, 44],
    [0, 50],
    [10, 58],
    [30, 70],
    [60, 70],
    [100, 75],
    [140, 72],
    [180, 68],
    [160, 58],
    [140, 40],
    [120, 22],
    [105, 8],
    [95, 20],
    [78, 8],
    [68, 24],
    [50, 28],
    [35, 30],
    [28, 40],
    [10, 38],
    [-10, 36],
  ],
  [
    [-17, 20],
    [-8, 35],
    [10, 37],
    [32, 31],
    [43, 12],
    [51, 11],
    [40, -15],
    [33, -28],
    [18, -35],
    [12, -18],
    [8, 4],
    [-8, 5],
    [-17, 20],
  ],
  [
    [114, -22],
    [130, -12],
    [142, -11],
    [153, -28],
    [146, -39],
    [133, -32],
    [115, -34],
    [114, -22],
  ],
];

function landPath(shape: [number, number][]): string {
  return shape
    .map(
      ([lon, lat], i) =>
        `${i === 0 ? 'M' : 'L'}${(((lon + 180) / 360) * WIDTH).toFixed(1)},${(((75 - lat) / 135) * (HEIGHT - 60)).toFixed(1)}`,
    )
    .join(' ')
    .concat(' Z');
}

export function RegionMap({ clusters }: { clusters: Cluster[] }) {
  const regions = new Map<string, Cluster[]>();
  for (const c of clusters) {
    const region = c.spec?.region || 'no region';
    regions.set(region, [...(regions.get(region) ?? []), c]);
  }
  let unknownSlot = 0;
  const markers = [...regions.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([region, members]) => {
      const point = regionPoint(region) ?? { x: 80 + 140 * unknownSlot++, y: HEIGHT - 24 };
      return { region, members, ...point };
    });
  return (
    <svg className="map" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label="Fleet by region">
      {LAND.map((shape) => (
        <path key={shape[0]!.join()} d={landPath(shape)} className="land" />
      ))}
      {markers.map((m) => {
        const healthy = m.members.filter((c) => clusterHealth(c) === 'Ready').length;
        const width = Math.max(90, 18 * m.members.length + 24);
        return (
          <g key={m.region} transform={`translate(${m.x},${m.y})`} data-testid={`region-${m.region}`}>
            <rect x={-width / 2} y={-30} width={width} height={44} rx={8} className="marker" />
            <text y={-14} textAnchor="middle" className="region-name">
              {m.region} · {healthy}/{m.members.length}
            </text>
            {m.members.map((c, i) => (
              <circle
                key={c.metadata.name}
                cx={-((m.members.length - 1) * 18) / 2 + i * 18}
                cy={2}
                r={6}
                className={`dot ${clusterHealth(c)}`}
              >
                <title>
                  {c.metadata.name}: {clusterHealth(c)}
                </title>
              </circle>
            ))}
          </g>
        );
      })}
    </svg>
  );
}
