-- A stand-in billing database beside the warehouse, for the simulator.
-- Point C360_FINANCE_URI at the real billing system in production.
create database finance;
