// The start-up floor: import mysql2, connect, one SELECT, print JSON.
import mysql from 'mysql2/promise'

const m = /^mysql:\/\/([^@]*)@([^:/]+):(\d+)\/(\w+)/.exec(process.env.IPAM_DATABASE_URL)
const conn = await mysql.createConnection({user: m[1], host: m[2], port: Number(m[3]), database: m[4]})
const [rows] = await conn.query('SELECT id, cidr, name FROM ipnet ORDER BY id')
process.stdout.write(`${JSON.stringify(rows)}\n`)
await conn.end()
